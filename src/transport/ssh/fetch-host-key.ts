/**
 * Learns the host key a server presents without authenticating (for
 * `device add --trust-host-key` and `device check`): the handshake is
 * abandoned as soon as the key is seen.
 */
import { Client } from 'ssh2';
import { sshFingerprint } from './host-key.js';
import { translateConnectError } from './ssh-errors.js';

/** Resolves with the `SHA256:…` fingerprint; rejects with CW_ERR_SSH_CONNECT when the host cannot be reached. */
export function fetchHostKey(host: string, port = 22, timeoutMs = 10_000): Promise<string> {
  const client = new Client();
  return new Promise<string>((resolve, reject) => {
    let presented: string | null = null;
    const finish = () => {
      clearTimeout(timer);
      client.destroy();
      if (presented) resolve(presented);
    };
    const timer = setTimeout(() => {
      client.destroy();
      reject(translateConnectError(Object.assign(new Error('timed out'), { level: 'client-timeout' }), context()));
    }, timeoutMs + 1000);
    const context = () => ({ target: `${host}:${port}`, connectTimeoutMs: timeoutMs, refusedKey: null, pinned: null });
    client.on('error', (err) => {
      if (presented) return finish();
      clearTimeout(timer);
      client.destroy();
      reject(translateConnectError(err, context()));
    });
    client.on('close', finish);
    client.connect({
      host,
      port,
      username: 'confwatch-probe',
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        presented = sshFingerprint(key);
        return false;
      },
    });
  });
}
