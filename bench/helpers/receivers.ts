/**
 * Receivers on loopback for alert tests and benchmarks: an HTTP server that
 * records every request (method, path, headers, raw body) and answers with
 * the status it is told, and an SMTP server (smtp-server) that records every
 * mail. A receiver can go down and come back on the same port.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Date.now() when the body was complete. */
  readonly at: number;
}

export interface HttpReceiver {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** The status the next requests get (default 200). */
  status: number;
  /** Called for every request, after it is recorded. */
  onRequest?: (request: ReceivedRequest) => void;
  /** Stops listening (connections are refused) until up(). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpReceiver(port = 0): Promise<HttpReceiver> {
  let server: Server | undefined;
  const receiver: HttpReceiver = {
    port,
    url: '',
    requests: [],
    status: 200,
    async down() {
      const current = server;
      server = undefined;
      if (!current) return;
      current.closeAllConnections();
      await new Promise<void>((done) => current.close(() => done()));
    },
    async up() {
      if (server) return;
      server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (c: Buffer) => chunks.push(c));
        request.on('end', () => {
          const received = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
          receiver.requests.push(received);
          receiver.onRequest?.(received);
          response.writeHead(receiver.status, { 'content-type': 'application/json' }).end('{}');
        });
      });
      const listening = server;
      await new Promise<void>((done, fail) => {
        listening.once('error', fail);
        listening.listen(receiver.port, '127.0.0.1', () => done());
      });
      const bound = (listening.address() as AddressInfo).port;
      Object.assign(receiver, { port: bound, url: `http://127.0.0.1:${bound}` });
    },
    close() {
      return receiver.down();
    },
  };
  await receiver.up();
  return receiver;
}

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  /** The raw message (headers and MIME body). */
  readonly raw: string;
  readonly user: string | undefined;
}

export interface SmtpReceiver {
  readonly port: number;
  readonly mails: ReceivedMail[];
  /** When set, RCPT TO is answered with this code (e.g. 451 for a temporary failure). */
  rejectWith: number | undefined;
  close(): Promise<void>;
}

/** An SMTP server without TLS that accepts any login (and records the user). */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const receiver: SmtpReceiver = { port: 0, mails, rejectWith: undefined, close: async () => undefined };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username });
    },
    onRcptTo(_address, _session, callback) {
      if (receiver.rejectWith) {
        const error = Object.assign(new Error('try again later'), { responseCode: receiver.rejectWith });
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback();
      });
    },
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  Object.assign(receiver, {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((done) => server.close(() => done())),
  });
  return receiver;
}
