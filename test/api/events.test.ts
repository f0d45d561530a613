/** `GET /api/events` over a real socket: delivery, replay, heartbeats, redaction and slow-client dropping. */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/auth/redact.js';
import { type ApiFixture, openApiFixture } from './app-fixture.js';

let fx: ApiFixture;
let port: number;

beforeAll(async () => {
  fx = await openApiFixture({ events: { heartbeatMs: 50, maxBufferedBytes: 64 * 1024 } });
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
  port = (fx.app.server.address() as AddressInfo).port;
});
afterAll(() => fx.close());

interface Stream {
  readonly response: IncomingMessage;
  /** Resolves with the text received once it satisfies the predicate. */
  until(predicate: (text: string) => boolean): Promise<string>;
  close(): void;
}

function connect(path: string, headers: Record<string, string>): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (response) => {
      let text = '';
      const waiters: { predicate: (t: string) => boolean; resolve: (t: string) => void }[] = [];
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        for (const w of [...waiters]) if (w.predicate(text)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(text);
      });
      resolve({
        response,
        until: (predicate) => new Promise((res) => (predicate(text) ? res(text) : waiters.push({ predicate, resolve: res }))),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const changed = (path: string) => ({
  path,
  snapshotId: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
  contentHash: null,
  changeType: 'modified' as const,
  source: 'poll' as const,
  changeSetId: null,
  detectedAt: new Date().toISOString(),
  storedAt: new Date().toISOString(),
});

describe('event stream', () => {
  it('needs credentials', async () => {
    const stream = await connect('/api/events', {});
    expect(stream.response.statusCode).toBe(401);
    stream.close();
  });

  it('delivers events with id and type lines, heartbeats, and redacts for viewers', async () => {
    const stream = await connect('/api/events', fx.as('viewer'));
    expect(stream.response.headers['content-type']).toMatch(/text\/event-stream/);
    await stream.until((t) => t.includes(': connected'));
    const event = fx.bus.publish('validation.failed', 'web1', { path: '/etc/app/.env', snapshotId: null, tool: 'x', output: 'DB_PASSWORD=leak' });
    const text = await stream.until((t) => t.includes(`id: ${event.id}\n`) && t.includes(': heartbeat'));
    expect(text).toContain('event: validation.failed\n');
    const data = JSON.parse(/data: (.*)\n/.exec(text.slice(text.indexOf(`id: ${event.id}`)))?.[1] as string);
    expect(data).toMatchObject({ type: 'validation.failed', device: 'web1', id: event.id, output: `DB_PASSWORD=${REDACTED}` });
    stream.close();
  });

  it('replays what was missed after Last-Event-ID, then continues live', async () => {
    const first = fx.bus.publish('config.changed', 'web1', changed('/etc/app/a.conf'));
    const second = fx.bus.publish('config.changed', 'web1', changed('/etc/app/b.conf'));
    const stream = await connect('/api/events', { ...fx.as('admin'), 'last-event-id': String(first.id) });
    const replayed = await stream.until((t) => t.includes(`id: ${second.id}\n`));
    expect(replayed).not.toContain(`id: ${first.id}\n`);
    const third = fx.bus.publish('config.changed', 'web2', changed('/etc/app/c.conf'));
    await expect(stream.until((t) => t.includes(`id: ${third.id}\n`))).resolves.toContain('/etc/app/c.conf');
    stream.close();
  });

  it('filters by device', async () => {
    const stream = await connect('/api/events?device=web2', fx.as('viewer'));
    await stream.until((t) => t.includes(': connected'));
    const skipped = fx.bus.publish('watch.mode', 'web1', { mode: 'polling', reason: 'x' });
    const kept = fx.bus.publish('watch.mode', 'web2', { mode: 'realtime', reason: 'y' });
    const text = await stream.until((t) => t.includes(`id: ${kept.id}\n`));
    expect(text).not.toContain(`id: ${skipped.id}\n`);
    stream.close();
  });

  it('drops a client that stops reading instead of buffering without bound', async () => {
    const stream = await connect('/api/events', fx.as('viewer'));
    await stream.until((t) => t.includes(': connected'));
    stream.response.pause();
    const ended = new Promise<void>((resolve) => stream.response.socket.on('close', () => resolve()));
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 1000; i++) fx.bus.publish('file.event', 'web1', { path: `/etc/${big}`, events: ['MODIFY'], isDir: false });
    await ended;
    expect(stream.response.socket.destroyed).toBe(true);
  });
});
