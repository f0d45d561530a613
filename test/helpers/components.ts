/**
 * Integration tests need real components (SPEC §8). A suite whose
 * component is missing fails under CI=true and skips elsewhere, with the
 * reason in its title: `describeUnless` is the one place that decides.
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

/** Runs the suite when `problem` is null; otherwise fails it under CI=true and skips it elsewhere, naming the problem. */
export function describeUnless(problem: string | null, name: string, body: () => void): void {
  if (problem !== null && process.env.CI === 'true') {
    describe(name, () => {
      it(`needs: ${problem}`, () => {
        throw new Error(`${problem}, but CI=true`);
      });
    });
    return;
  }
  describe.skipIf(problem !== null)(problem === null ? name : `${name} [skipped: ${problem}]`, body);
}

/** `describeUnless` for a component that is either installed or not. */
export function describeWith(component: string, present: boolean, name: string, body: () => void): void {
  describeUnless(present ? null : `${component} is not installed`, name, body);
}

/** For a single test's `it.skipIf`: skip only outside CI; under CI=true the test runs (and fails without its component). */
export const missingOutsideCi = (present: boolean): boolean => !present && process.env.CI !== 'true';
