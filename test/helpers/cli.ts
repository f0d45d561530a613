/**
 * Runs the built `confwatch` binary (dist/cli/bin.js, made by `npm run
 * build`, which `npm test` runs first) in a child process, as a user would.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEnvironment } from '../../src/config/environment.js';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services, type ServicesOptions } from '../../src/services/services.js';

export const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as one JSON document (throws with the output when it is not). */
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  json<T = any>(): T;
}

export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; stdin?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, CONFWATCH_LOG_FORMAT: 'json', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** A fresh CONFWATCH_HOME in a temp dir; remove() deletes it. */
export function tempHome(): { home: string; env: Record<string, string>; remove(): void } {
  const home = join(mkdtempSync(join(tmpdir(), 'cw-cli-')), 'home');
  return { home, env: { CONFWATCH_HOME: home }, remove: () => rmSync(join(home, '..'), { recursive: true, force: true }) };
}

/** Initialises `home` (master key, admin token) and opens the services over it, as the CLI does. */
export async function openInitialisedServices(home: string, options?: ServicesOptions): Promise<Services> {
  const environment = readEnvironment({ CONFWATCH_HOME: home });
  await initHome(environment);
  return await openServices(environment, options);
}

export interface ServeProcess {
  /** Base URL the server listens on. */
  readonly url: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Runs `confwatch serve --json` from dist with `args` and resolves once it listens. */
export function startServe(args: readonly string[], env: Record<string, string | undefined>): Promise<ServeProcess> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--json', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<void>((done) => child.on('close', () => done()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start:\n${stdout}\n${stderr}`));
    }, 120_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      const listening = stdout
        .split('\n')
        .map((line) => {
          try {
            return JSON.parse(line) as { type?: string; url?: string };
          } catch {
            return undefined;
          }
        })
        .find((line) => line?.type === 'serve.listening');
      if (listening?.url) {
        clearTimeout(timer);
        resolve({
          url: listening.url,
          async stop() {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
}
