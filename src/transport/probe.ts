/**
 * What a host can do, found in one round trip through the persistent shell,
 * and the watch mode that follows from it. Parsing is pure and tested apart.
 */
import { raw, sh } from './quote.js';
import type { Transport } from './transport.js';

export interface Capabilities {
  readonly inotifywait: {
    readonly present: boolean;
    /** As printed on the first line of `inotifywait --help`, e.g. '3.22.6.0'; null when absent or unparsable. */
    readonly version: string | null;
    /** Whether this version can separate events with NUL (3.20.9 and later). */
    readonly nulFormat: boolean;
  };
  readonly sha256sum: boolean;
  readonly tar: boolean;
  readonly nginx: boolean;
  readonly docker: boolean;
  readonly systemdAnalyze: boolean;
  readonly sshd: boolean;
  readonly sudo: boolean;
  /** The core tools (find, stat) are busybox applets: no `find -printf`, busybox `stat`. */
  readonly busybox: boolean;
  /** GNU `find -printf` works. */
  readonly findPrintf: boolean;
  /** `stat -c FORMAT` works. */
  readonly statFormat: boolean;
}

/** One `key=value` line per fact; tools in sbin are looked for there too (not on a non-root PATH). */
const PROBE_SCRIPT = raw(`has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
yes_no() { if "$@" >/dev/null 2>&1; then echo 1; else echo 0; fi; }
if has inotifywait; then echo "inotifywait=1 $(inotifywait --help 2>&1 | head -n 1)"; else echo "inotifywait=0"; fi
for t in sha256sum tar nginx docker systemd-analyze sshd sudo; do echo "$t=$(yes_no has "$t")"; done
f=$(command -v find 2>/dev/null); [ -n "$f" ] && f=$(readlink -f "$f" 2>/dev/null)
case "$f" in *busybox*) echo busybox=1 ;; *) echo busybox=0 ;; esac
echo "findPrintf=$(yes_no find / -maxdepth 0 -printf '%p')"
echo "statFormat=$(yes_no stat -c %s /)"`);

/** Probes the host (one `run` request). */
export async function probeCapabilities(t: Transport): Promise<Capabilities> {
  const result = await t.run(sh`${PROBE_SCRIPT}`, { timeoutMs: 20_000 });
  return parseProbeOutput(result.stdout.toString('utf8'));
}

export function parseProbeOutput(text: string): Capabilities {
  const facts = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) facts.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const flag = (key: string) => facts.get(key)?.trim() === '1';
  const inotify = facts.get('inotifywait') ?? '0';
  const present = inotify.startsWith('1');
  const version = present ? (/(\d+(?:\.\d+)+)/.exec(inotify)?.[1] ?? null) : null;
  return {
    inotifywait: { present, version, nulFormat: version !== null && compareVersions(version, '3.20.9') >= 0 },
    sha256sum: flag('sha256sum'),
    tar: flag('tar'),
    nginx: flag('nginx'),
    docker: flag('docker'),
    systemdAnalyze: flag('systemd-analyze'),
    sshd: flag('sshd'),
    sudo: flag('sudo'),
    busybox: flag('busybox'),
    findPrintf: flag('findPrintf'),
    statFormat: flag('statFormat'),
  };
}

/** Compares dotted numeric versions: negative, 0 or positive like a sort comparator. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface ModeChoice {
  readonly mode: 'realtime' | 'polling';
  readonly reason: string;
}

/** The watch mode a device is set to (the store's DeviceMode). */
export type ModePreference = 'auto' | 'realtime' | 'polling';

/** The watch mode for a device: `auto` prefers realtime when inotifywait exists. */
export function chooseMode(caps: Capabilities, deviceMode: ModePreference): ModeChoice {
  if (deviceMode === 'polling') return { mode: 'polling', reason: 'the device is set to polling' };
  if (!caps.inotifywait.present) {
    return {
      mode: 'polling',
      reason: deviceMode === 'realtime' ? 'realtime was requested but inotifywait is not installed (inotify-tools)' : 'inotifywait is not installed (inotify-tools)',
    };
  }
  const version = caps.inotifywait.version ?? 'unknown version';
  return { mode: 'realtime', reason: deviceMode === 'realtime' ? `the device is set to realtime (inotifywait ${version})` : `inotifywait ${version} is available` };
}
