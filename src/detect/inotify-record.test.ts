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
    expect(inotifyFormatArgs(inotifyFormatFor(null))).toEqual(['--csv']);
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

describe('csv layout (inotifywait without %0)', () => {
  /** inotify-tools' csv_escape: quoted when the field holds a quote, a comma or a newline, or starts or ends with a space. */
  const csvEscape = (field: Buffer): Buffer => {
    const text = field.toString('latin1');
    if (field.length === 0 || !(/[",\n]/.test(text) || text.startsWith(' ') || text.endsWith(' '))) return field;
    return Buffer.concat([Buffer.from('"'), Buffer.from(text.replaceAll('"', '""'), 'latin1'), Buffer.from('"')]);
  };
  const csvLine = (dir: Buffer, events: string, name: Buffer) =>
    Buffer.concat([csvEscape(dir), Buffer.from(','), csvEscape(Buffer.from(events)), Buffer.from(','), csvEscape(name)]);
  const splitLines = (bytes: Buffer): Buffer[] => {
    const lines: Buffer[] = [];
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        lines.push(bytes.subarray(start, i));
        start = i + 1;
      }
    }
    return lines;
  };

  it('uses --csv for versions without %0 and for an unreadable version', () => {
    expect(inotifyFormatArgs(inotifyFormatFor('3.14'))).toEqual(['--csv']);
    expect(inotifyFormatArgs(inotifyFormatFor(''))).toEqual(['--csv']);
  });

  it('parses the directory, flags and name', () => {
    const parser = createInotifyParser({ separator: 'newline', cookies: false });
    expect(feed(parser, [Buffer.from('/etc/ssh/,MOVED_TO,sshd_config'), Buffer.from('/etc/ssh/,"CLOSE_WRITE,CLOSE",a b'), Buffer.from('/etc/x/,DELETE_SELF,')])).toEqual([
      { kind: 'event', path: '/etc/ssh/sshd_config', dir: '/etc/ssh', events: ['moved_to'], isDir: false, cookie: null },
      { kind: 'event', path: '/etc/ssh/a b', dir: '/etc/ssh', events: ['close_write'], isDir: false, cookie: null },
      { kind: 'event', path: '/etc/x', dir: '/etc', events: ['delete_self'], isDir: false, cookie: null },
    ]);
  });

  it('cannot be made to forge an event by a directory name holding a newline and a tab', () => {
    const parser = createInotifyParser({ separator: 'newline', cookies: false });
    // what inotifywait --csv printed for a delete in "/srv/a\nDELETE\t/etc/nginx/"
    const output = Buffer.from('"/srv/a\nDELETE\t/etc/nginx/",DELETE,nginx.conf\n/srv/,"CREATE,ISDIR","b\nDELETE\t"');
    expect(feed(parser, splitLines(output))).toEqual([
      { kind: 'event', path: '/srv/a\nDELETE\t/etc/nginx/nginx.conf', dir: '/srv/a\nDELETE\t/etc/nginx', events: ['delete'], isDir: false, cookie: null },
      { kind: 'event', path: '/srv/b\nDELETE\t', dir: '/srv', events: ['create'], isDir: true, cookie: null },
    ]);
  });

  it('drops a record whose quote never closes instead of buffering it forever', () => {
    const parser = createInotifyParser({ separator: 'newline', cookies: false });
    const lines = [Buffer.from('"/srv/a'), ...Array.from({ length: 100 }, () => Buffer.alloc(1_000, 0x61))];
    expect(feed(parser, lines)).toEqual([]);
    expect(feed(parser, [Buffer.from('/srv/,CREATE,x.conf')])).toEqual([expect.objectContaining({ path: '/srv/x.conf' })]);
  });

  it('reads every name exactly, whatever its bytes', () => {
    fc.assert(
      fc.property(nameBytes, fc.constantFrom('CLOSE_WRITE,CLOSE', 'DELETE', 'CREATE,ISDIR', 'MOVED_FROM'), (name, events) => {
        const parser = createInotifyParser({ separator: 'newline', cookies: false });
        const dir = Buffer.from('/data/sub "x",y/');
        const out = feed(parser, splitLines(csvLine(dir, events, name)));
        expect(out).toHaveLength(1);
        const [event] = out;
        if (event?.kind !== 'event') throw new Error('expected an event');
        expect(remotePathToBytes(event.path).equals(Buffer.concat([dir, name]))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});
