import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { remotePathToBytes } from '../transport/remote-path.js';
import { createInotifyParser, type InotifyRecord, inotifyFormatArgs, inotifyFormatFor } from './inotify-record.js';

const nulRecords = (...fields: (string | Buffer)[]) => fields.map((f) => (typeof f === 'string' ? Buffer.from(f) : f));
const feed = (parser: ReturnType<typeof createInotifyParser>, records: Buffer[]): InotifyRecord[] =>
  records.flatMap((r) => parser.push(r));

/** A name as inotify can report it: any bytes but NUL and `/`. */
const nameBytes = fc
  .uint8Array({ minLength: 1, maxLength: 40 })
  .map((a) => Buffer.from(a.filter((b) => b !== 0 && b !== 0x2f)))
  .filter((b) => b.length > 0);

describe('inotifyFormatFor', () => {
  it('uses the NUL layout with cookies on current versions', () => {
    expect(inotifyFormatFor('3.22.6.0')).toEqual({ separator: 'nul', cookies: true });
  });
  it('uses the NUL layout without cookies from 3.20.9', () => {
    expect(inotifyFormatFor('inotifywait 3.20.11.0')).toEqual({ separator: 'nul', cookies: false });
  });
  it('falls back to lines for older or unknown versions', () => {
    expect(inotifyFormatFor('3.14')).toEqual({ separator: 'newline', cookies: false });
    expect(inotifyFormatFor(null)).toEqual({ separator: 'newline', cookies: false });
  });
  it('prints NUL-terminated fields without a newline', () => {
    expect(inotifyFormatArgs({ separator: 'nul', cookies: true })).toEqual(['--format', '%e%0%c%0%w%0%f%0', '--no-newline']);
  });
});

describe('NUL layout', () => {
  it('groups four records into one event and keeps only wanted flags', () => {
    const parser = createInotifyParser({ separator: 'nul', cookies: true });
    const out = feed(parser, nulRecords('CLOSE_WRITE,CLOSE', '0', '/etc/nginx/', 'a.conf', 'MOVED_FROM', '32ac', '/etc/nginx/', 'b'));
    expect(out).toEqual([
      { kind: 'event', path: '/etc/nginx/a.conf', dir: '/etc/nginx', events: ['close_write'], isDir: false, cookie: null },
      { kind: 'event', path: '/etc/nginx/b', dir: '/etc/nginx', events: ['moved_from'], isDir: false, cookie: 0x32ac },
    ]);
  });

  it('reads the ISDIR flag and self events on the watched directory', () => {
    const parser = createInotifyParser({ separator: 'nul', cookies: false });
    const out = feed(parser, nulRecords('CREATE,ISDIR', '/srv/', 'app', 'DELETE_SELF', '/srv/app/', ''));
    expect(out).toEqual([
      { kind: 'event', path: '/srv/app', dir: '/srv', events: ['create'], isDir: true, cookie: null },
      { kind: 'event', path: '/srv/app', dir: '/srv', events: ['delete_self'], isDir: false, cookie: null },
    ]);
  });

  it('drops events it did not ask for (e.g. IGNORED)', () => {
    const parser = createInotifyParser({ separator: 'nul', cookies: false });
    expect(feed(parser, nulRecords('IGNORED', '/srv/', ''))).toEqual([]);
  });

  it('keeps the exact bytes of any name', () => {
    fc.assert(
      fc.property(nameBytes, fc.boolean(), (name, cookies) => {
        const parser = createInotifyParser({ separator: 'nul', cookies });
        const records = cookies
          ? nulRecords('MODIFY', '0', '/data/', name)
          : nulRecords('MODIFY', '/data/', name);
        const out = feed(parser, records);
        expect(out).toHaveLength(1);
        const [event] = out;
        if (event?.kind !== 'event') throw new Error('expected an event');
        expect(remotePathToBytes(event.path).equals(Buffer.concat([Buffer.from('/data/'), name]))).toBe(true);
        expect(event.dir).toBe('/data');
      }),
    );
  });
});

describe('newline layout', () => {
  it('parses flags and the full path', () => {
    const parser = createInotifyParser({ separator: 'newline', cookies: false });
    expect(feed(parser, [Buffer.from('MOVED_TO\t/etc/ssh/sshd_config')])).toEqual([
      { kind: 'event', path: '/etc/ssh/sshd_config', dir: '/etc/ssh', events: ['moved_to'], isDir: false, cookie: null },
    ]);
  });

  it('parses names without a newline exactly, and asks for a rescan of the directory otherwise', () => {
    fc.assert(
      fc.property(nameBytes, (name) => {
        const parser = createInotifyParser({ separator: 'newline', cookies: false });
        const line = Buffer.concat([Buffer.from('CLOSE_WRITE,CLOSE\t/data/'), name]);
        const lines: Buffer[] = [];
        let start = 0;
        for (let i = 0; i <= line.length; i++) {
          if (i === line.length || line[i] === 0x0a) {
            lines.push(line.subarray(start, i));
            start = i + 1;
          }
        }
        const out = feed(parser, lines);
        if (!name.includes(0x0a)) {
          expect(out).toHaveLength(1);
          const [event] = out;
          if (event?.kind !== 'event') throw new Error('expected an event');
          expect(remotePathToBytes(event.path).equals(line.subarray(line.indexOf(0x09) + 1))).toBe(true);
        } else if (lines.slice(1).some((l) => !/^[A-Z_,]+\t\//.test(l.toString('latin1')))) {
          expect(out).toContainEqual(expect.objectContaining({ kind: 'rescan', dir: '/data' }));
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
