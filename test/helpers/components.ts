/**
 * Integration tests need real components (SPEC §8). `describeWith` runs a
 * suite when its component is present; otherwise it fails under CI=true and
 * skips with a visible reason elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';

export function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function describeWith(component: string, present: boolean, name: string, body: () => void): void {
  if (present) describe(name, body);
  else if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${component}`, () => {
        throw new Error(`${component} is not installed but CI=true`);
      });
    });
  } else describe.skip(`${name} [skipped: ${component} not installed]`, body);
}
