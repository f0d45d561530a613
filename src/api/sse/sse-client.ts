/**
 * One Server-Sent Events connection. Events are written straight to the
 * socket; when the socket's write buffer grows past the bound (the client
 * reads slower than events arrive) the client is dropped rather than
 * buffered without limit. It reconnects with Last-Event-ID and is replayed
 * what it missed.
 */
import type { ServerResponse } from 'node:http';

export interface SseClientOptions {
  /** Bytes allowed in the socket's write buffer before the client is dropped. Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** Interval of heartbeat comments in ms (keeps proxies from closing the stream). Default 15,000. */
  readonly heartbeatMs?: number;
  /** Called once when the connection ends, whatever the reason. */
  readonly onClose?: (reason: 'closed' | 'overflow') => void;
}

export class SseClient {
  readonly #res: ServerResponse;
  readonly #maxBufferedBytes: number;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onClose: (reason: 'closed' | 'overflow') => void;
  #open = true;

  constructor(res: ServerResponse, options: SseClientOptions = {}) {
    this.#res = res;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.#onClose = options.onClose ?? (() => {});
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': connected\n\n');
    this.#heartbeat = setInterval(() => this.#write(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
    res.on('close', () => this.#close('closed'));
  }

  /** True until the client disconnects or is dropped. */
  get open(): boolean {
    return this.#open;
  }

  /** Sends one event with its id (for Last-Event-ID) and type. */
  send(id: number, type: string, data: unknown): void {
    this.#write(`id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends the stream. */
  end(): void {
    if (this.#open) this.#res.end();
    this.#close('closed');
  }

  #write(chunk: string): void {
    if (!this.#open) return;
    this.#res.write(chunk);
    if (this.#res.writableLength > this.#maxBufferedBytes) {
      this.#close('overflow');
      this.#res.destroy();
    }
  }

  #close(reason: 'closed' | 'overflow'): void {
    if (!this.#open) return;
    this.#open = false;
    clearInterval(this.#heartbeat);
    this.#onClose(reason);
  }
}
