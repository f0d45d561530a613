/**
 * What every command gets: the environment, output in the mode the user
 * asked for (human text or one JSON document / NDJSON), and lazily opened
 * services so that `--help` or a usage error never touches the database.
 */
import { type Environment, readEnvironment } from '../config/environment.js';
import { type Services, openServices } from '../services/services.js';

export interface Output {
  /** True when `--json` was given. */
  readonly json: boolean;
  /** Prints a result: `data` as one JSON document with --json, else `human(data)`. */
  result<T>(data: T, human: (data: T) => string): void;
  /** Prints one NDJSON line (--json) or a human line, for streams. */
  line(data: unknown, human: string): void;
  /** Progress and notes for humans: stderr, never in JSON output. */
  note(message: string): void;
}

export function createOutput(json: boolean, stdout = process.stdout, stderr = process.stderr): Output {
  return {
    json,
    result(data, human) {
      if (json) stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      else {
        const text = human(data);
        if (text) stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    },
    line(data, human) {
      stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`);
    },
    note(message) {
      stderr.write(`${message}\n`);
    },
  };
}

export class CliContext {
  readonly environment: Environment;
  #services: Promise<Services> | undefined;

  constructor(environment: Environment = readEnvironment()) {
    this.environment = environment;
  }

  /** Opens the store (running migrations) and wires the services on first use. */
  services(): Promise<Services> {
    this.#services ??= openServices(this.environment);
    return this.#services;
  }

  async close(): Promise<void> {
    if (!this.#services) return;
    const services = await this.#services.catch(() => undefined);
    await services?.close();
  }
}
