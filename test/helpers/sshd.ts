/**
 * A real OpenSSH sshd for integration tests (SPEC §8): the launcher lives
 * with the benches (bench/helpers/sshd.ts, no test framework in it); this
 * adds the suite helpers.
 */


import type { RunningSshd } from '../../bench/helpers/sshd.js';
import { sshdAvailable } from '../../bench/helpers/sshd.js';
import { describeUnless } from './components.js';

export { fingerprintOf, freePort, type RunningSshd, type SshdOptions, sshdAvailable, sshdPath, startSshd } from '../../bench/helpers/sshd.js';

/** Why sshd cannot be used, or null when it can. */
export const sshdProblem = (): string | null => (sshdAvailable() ? null : 'OpenSSH sshd is not installed (apt-get install openssh-server)');

/** `describe` for suites that need sshd (see describeUnless). */
export function describeWithSshd(name: string, body: () => void): void {
  describeUnless(sshdProblem(), name, body);
}

/** How to reach a test sshd as a device, with its host key pinned: spread into a device add. */
export const sshdConnection = (sshd: RunningSshd) => ({
  host: sshd.host,
  port: sshd.port,
  user: sshd.user,
  identityFile: sshd.clientKeyPath,
  hostKey: sshd.hostKeyFingerprint,
});
