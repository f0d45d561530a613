/**
 * What a set of files looks like on a host right now — sha256 and lstat of
 * each — in ONE `run` round trip, NUL-framed so any name is safe. Used by
 * drift checks, by batch prepare (the live hashes), verify and recovery.
 */
import { ConfwatchError } from '../errors.js';
import { raw, type ShellScript, sh } from '../transport/quote.js';
import type { RemotePath } from '../transport/remote-path.js';
import { parseStatLine, STAT_FORMAT } from '../transport/shell-file-ops.js';
import type { FileStat, Transport } from '../transport/transport.js';

export type LiveFile =
  | { readonly kind: 'present'; readonly hash: string; readonly stat: FileStat }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable' };

/** One record per path: `F <sha256> <stat line>`, `M` (missing) or `U` (unreadable), each NUL-terminated. */
function observeScript(paths: readonly RemotePath[]): ShellScript {
  const lines = paths.map(
    (p) => sh`f=${p}
if [ ! -e "$f" ] && [ ! -L "$f" ]; then printf 'M\\0'
elif h=$(sha256sum < "$f" 2>/dev/null) && s=$(stat -c ${raw(`'${STAT_FORMAT}'`)} -- "$f" 2>/dev/null); then printf 'F %s %s\\0' "\${h%% *}" "$s"
else printf 'U\\0'; fi
`,
  );
  return sh`${lines}`;
}

/** The live state of each path, in input order. Rejects only on transport failure. */
export async function observeFiles(
  transport: Pick<Transport, 'run'>,
  paths: readonly RemotePath[],
  options: { sudo?: boolean } = {},
): Promise<LiveFile[]> {
  if (paths.length === 0) return [];
  const result = await transport.run(observeScript(paths), { ...(options.sudo ? { sudo: true } : {}) });
  const records = result.stdout.toString('latin1').split('\0');
  if (result.code !== 0 || records.length !== paths.length + 1) {
    throw new ConfwatchError('CW_ERR_REMOTE_COMMAND', `reading the state of ${paths.length} files failed (exit ${result.code}): ${result.stderr.toString('utf8').trim().slice(0, 300)}`);
  }
  return paths.map((path, i) => parseRecord(path, records[i]!));
}

function parseRecord(path: RemotePath, record: string): LiveFile {
  if (record === 'M') return { kind: 'missing' };
  const m = /^F ([0-9a-f]{64}) (.*)$/s.exec(record);
  if (!m) return { kind: 'unreadable' };
  return { kind: 'present', hash: m[1]!, stat: parseStatLine(path, m[2]!) };
}

/** The content hash of a live file, null when it does not exist (unreadable is not a hash). */
export const liveHash = (file: LiveFile): string | null => (file.kind === 'present' ? file.hash : null);
