/**
 * Stores and devices for integration tests: the helpers shared with the
 * benches (bench/helpers/store.ts) plus the local endpoint and the suite
 * that runs over the local transport and over SSH.
 */
import { afterAll, beforeAll } from 'vitest';
import { type Endpoint, sshEndpoint } from '../../bench/helpers/store.js';
import { commandExists, describeUnless } from './components.js';
import { type RunningSshd, sshdProblem, startSshd } from './sshd.js';

export {
  customProfile,
  type Endpoint,
  openStoreWithKey,
  openTempStore,
  sshDevice,
  sshEndpoint,
  type TempStore,
  watching,
} from '../../bench/helpers/store.js';

/** This host without SSH, as a `local` device reaches it. */
export const LOCAL_ENDPOINT: Endpoint = { transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null };

/**
 * Runs a realtime `suite` twice: against this host over the local transport,
 * and against a device on a real sshd started for it. Both need inotifywait.
 */
export function describeOverLocalAndSsh(title: string, suite: (endpoint: () => Endpoint) => void): void {
  const inotify = commandExists('inotifywait') ? null : 'inotifywait is not installed (apt-get install inotify-tools)';
  describeUnless(inotify, `${title} over the local transport`, () => suite(() => LOCAL_ENDPOINT));
  describeUnless(inotify ?? sshdProblem(), `${title} over SSH`, () => {
    let sshd: RunningSshd;
    beforeAll(async () => {
      sshd = await startSshd();
    });
    afterAll(async () => {
      await sshd?.stop();
    });
    suite(() => sshEndpoint(sshd));
  });
}
