import { describe, expect, it } from 'vitest';
import { chooseMode, compareVersions, parseProbeOutput } from './probe.js';

const DEBIAN = `inotifywait=1 inotifywait 3.22.6.0
sha256sum=1
tar=1
nginx=0
docker=0
systemd-analyze=1
sshd=1
sudo=0
busybox=0
findPrintf=1
statFormat=1
`;

describe('capability probe parsing', () => {
  it('reads a Debian host', () => {
    const caps = parseProbeOutput(DEBIAN);
    expect(caps.inotifywait).toEqual({ present: true, version: '3.22.6.0', nulFormat: true });
    expect(caps).toMatchObject({ sha256sum: true, tar: true, nginx: false, systemdAnalyze: true, sshd: true, sudo: false, busybox: false, findPrintf: true });
  });

  it('reads a busybox host without inotifywait', () => {
    const caps = parseProbeOutput('inotifywait=0\nsha256sum=1\nbusybox=1\nfindPrintf=0\nstatFormat=1\n');
    expect(caps.inotifywait).toEqual({ present: false, version: null, nulFormat: false });
    expect(caps).toMatchObject({ busybox: true, findPrintf: false, statFormat: true, tar: false });
  });

  it('knows which inotifywait versions have the NUL format', () => {
    expect(parseProbeOutput('inotifywait=1 inotifywait 3.14').inotifywait.nulFormat).toBe(false);
    expect(compareVersions('3.20.9', '3.20.9.0')).toBe(0);
    expect(compareVersions('3.20.10', '3.20.9')).toBeGreaterThan(0);
  });
});

describe('chooseMode', () => {
  const withInotify = parseProbeOutput(DEBIAN);
  const without = parseProbeOutput('inotifywait=0\n');
  it('prefers realtime under auto when inotifywait exists, else polls with the reason', () => {
    expect(chooseMode(withInotify, 'auto')).toEqual({ mode: 'realtime', reason: 'inotifywait 3.22.6.0 is available' });
    expect(chooseMode(without, 'auto')).toEqual({ mode: 'polling', reason: 'inotifywait is not installed (inotify-tools)' });
  });
  it('honours polling, and falls back from realtime when inotifywait is missing', () => {
    expect(chooseMode(withInotify, 'polling').mode).toBe('polling');
    expect(chooseMode(without, 'realtime').reason).toMatch(/realtime was requested/);
  });
});
