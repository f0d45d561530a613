#!/usr/bin/env node
import { main, oneLine } from './main.js';

/**
 * Once a command has finished and closed what it opened, nothing should be
 * left to run; if a stray handle (a child shell, a socket) would still keep
 * the process alive, it must not turn a finished command into a hang.
 */
const EXIT_GRACE_MS = 2_000;

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (error) => {
    process.stderr.write(`confwatch: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    process.exit(1);
  },
);
