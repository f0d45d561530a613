/**
 * Structured logging (pino). JSON by default, pretty on a TTY. Every logger
 * is tagged with its component. File contents and secrets are never passed to
 * a logger: log hashes, sizes and paths instead. The `redact` list is a
 * safety net for fields that must never appear.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const level = process.env.CONFWATCH_LOG_LEVEL ?? 'info';

let root: Logger | undefined;

function rootLogger(): Logger {
  if (root) return root;
  const pretty = process.stderr.isTTY && process.env.CONFWATCH_LOG_FORMAT !== 'json';
  root = pino(
    {
      level,
      base: undefined,
      redact: { paths: ['passphrase', 'password', 'token', 'key', 'content', '*.passphrase', '*.password', '*.token'], censor: '«redacted»' },
    },
    pretty
      ? pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true } })
      : pino.destination(2),
  );
  return root;
}

/** A logger tagged with its component, writing to stderr. */
export const createLogger = (component: string): Logger => rootLogger().child({ component });
