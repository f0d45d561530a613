/**
 * Sends one alert to one channel: HTTP channels with Node's fetch, mail over
 * SMTP with nodemailer. Never throws: the result says whether it arrived,
 * what the receiver answered, and whether trying again may help (5xx, 429,
 * 408, refused or timed-out connections, SMTP 4xx). Errors never carry the
 * URL, which holds tokens.
 */
import { createHmac } from 'node:crypto';
import type { Alert } from './alert.js';
import type { ChannelTarget, EmailTarget, HttpTarget } from './channel-url.js';
import { httpBody, mailContent } from './formats.js';

export interface SendResult {
  readonly delivered: boolean;
  /** The HTTP status or the SMTP reply ("250 OK …"); null when nothing answered. */
  readonly status: number | string | null;
  /** One line; set when not delivered. */
  readonly error?: string;
  /** True when a later attempt may succeed. */
  readonly retryable: boolean;
}

export interface SendOptions {
  /** How long one attempt may take. Default 10 s. */
  readonly timeoutMs?: number;
}

const SIGNATURE_HEADER = 'x-confwatch-signature';

/** `sha256=<hex HMAC-SHA256 of the body>`, the json:// signature. */
const signBody = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export function sendAlert(target: ChannelTarget, alert: Alert, options: SendOptions = {}): Promise<SendResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return target.kind === 'email' ? sendMail(target, alert, timeoutMs) : sendHttp(target, alert, timeoutMs);
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ESOCKET', 'ECONNECTION']);

/** A short, URL-free description of a network error, and whether it is worth retrying. */
function networkFailure(error: unknown, timeoutMs: number): SendResult {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') {
    return { delivered: false, status: null, error: `no answer within ${timeoutMs / 1000} s`, retryable: true };
  }
  if (code === 'ECONNREFUSED') return { delivered: false, status: null, error: 'connection refused', retryable: true };
  const message = code ? `network error ${code}` : `request failed: ${(cause?.message ?? (error as Error).message ?? String(error)).split('\n')[0]}`;
  return { delivered: false, status: null, error: message.slice(0, 300), retryable: code === undefined || RETRYABLE_CODES.has(code) };
}

async function sendHttp(target: HttpTarget, alert: Alert, timeoutMs: number): Promise<SendResult> {
  const body = JSON.stringify(httpBody(target, alert));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'confwatch', ...target.headers };
  if (target.secret) headers[SIGNATURE_HEADER] = signBody(target.secret, body);
  let response: Response;
  try {
    response = await fetch(target.endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (error) {
    return networkFailure(error, timeoutMs);
  }
  // the body is not needed, but an unread body keeps the connection busy
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return { delivered: true, status: response.status, retryable: false };
  const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
  return { delivered: false, status: response.status, error: `the receiver answered HTTP ${response.status}`, retryable };
}

async function sendMail(target: EmailTarget, alert: Alert, timeoutMs: number): Promise<SendResult> {
  // loaded on the first mail, not by every command that merely links the alert code
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: target.host,
    port: target.port,
    secure: target.secure,
    ...(target.user ? { auth: { user: target.user, pass: target.pass ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  const content = mailContent(alert);
  try {
    const info = await transport.sendMail({ from: target.from, to: [...target.to], ...content });
    return { delivered: true, status: String(info.response ?? '250'), retryable: false };
  } catch (error) {
    const reply = error as { responseCode?: number; response?: string; code?: string };
    if (typeof reply.responseCode === 'number') {
      const status = (reply.response ?? String(reply.responseCode)).split('\n')[0] as string;
      return { delivered: false, status, error: `the mail server refused: ${status}`.slice(0, 300), retryable: reply.responseCode >= 400 && reply.responseCode < 500 };
    }
    if (reply.code === 'EAUTH') return { delivered: false, status: null, error: 'the mail server refused the login', retryable: false };
    return networkFailure(error, timeoutMs);
  } finally {
    transport.close();
  }
}
