/**
 * Alert channels are URLs in Apprise's schemes (SPEC §11.1), so users paste
 * what they already have. `parseChannelUrl` turns one into where and how to
 * send; `redactChannelUrl` is the only form ever shown (tokens, passwords,
 * routing keys and webhook secrets masked).
 *
 * discord://, slack:// and pagerduty:// name a hosted service; `?base=URL`
 * sends to another base URL instead (a relay in front of the service, or a
 * receiver on this machine).
 */
import { ConfwatchError } from '../errors.js';

export const CHANNEL_KINDS = ['ntfy', 'gotify', 'discord', 'slack', 'pagerduty', 'email', 'json'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** A channel reached by one HTTP POST. */
export interface HttpTarget {
  readonly kind: Exclude<ChannelKind, 'email'>;
  /** Where the POST goes (may hold a token: never logged). */
  readonly endpoint: string;
  /** Extra request headers (ntfy basic auth). */
  readonly headers: Readonly<Record<string, string>>;
  /** json://: HMAC-SHA256 key for `X-Confwatch-Signature`. */
  readonly secret?: string;
  /** pagerduty://: the Events API v2 routing key. */
  readonly routingKey?: string;
  /** ntfy://: the topic. */
  readonly topic?: string;
}

export interface EmailTarget {
  readonly kind: 'email';
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (port 465 or `?secure=yes`); otherwise STARTTLS when offered. */
  readonly secure: boolean;
  readonly user?: string;
  readonly pass?: string;
  readonly from: string;
  readonly to: readonly string[];
}

export type ChannelTarget = HttpTarget | EmailTarget;

const SCHEMES: Readonly<Record<string, ChannelKind>> = {
  'ntfy:': 'ntfy',
  'ntfys:': 'ntfy',
  'gotify:': 'gotify',
  'gotifys:': 'gotify',
  'discord:': 'discord',
  'slack:': 'slack',
  'pagerduty:': 'pagerduty',
  'mailto:': 'email',
  'mailtos:': 'email',
  'json:': 'json',
  'jsons:': 'json',
};

const MASK = '****';

const bad = (message: string): ConfwatchError => new ConfwatchError('CW_ERR_ALERT_CHANNEL_URL', message);

function parse(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('the channel URL cannot be parsed: give e.g. ntfy://ntfy.example.com/topic (README, "Alerts")');
  }
  if (!SCHEMES[url.protocol]) {
    throw bad(`unknown channel scheme "${url.protocol.replace(/:$/, '')}": use ntfy, ntfys, gotify, gotifys, discord, slack, pagerduty, mailto, json or jsons`);
  }
  return url;
}

const segments = (url: URL): string[] => url.pathname.split('/').filter(Boolean).map(decodeURIComponent);

/** The base a hosted service is reached at: its own, or `?base=` (http or https only). */
function serviceBase(url: URL, fallback: string): string {
  const base = url.searchParams.get('base');
  if (base === null) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw bad('?base= must be an http:// or https:// URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw bad('?base= must be an http:// or https:// URL');
  return parsed.toString().replace(/\/$/, '');
}

const hostPort = (url: URL): string => (url.port ? `${url.hostname}:${url.port}` : url.hostname);

/** The kind of channel a URL names (CW_ERR_ALERT_CHANNEL_URL for anything unusable). */
export function parseChannelUrl(text: string): ChannelTarget {
  const url = parse(text);
  const kind = SCHEMES[url.protocol] as ChannelKind;
  const tls = url.protocol.endsWith('s:') && kind !== 'pagerduty';
  const scheme = tls ? 'https' : 'http';
  const parts = segments(url);
  switch (kind) {
    case 'ntfy': {
      // ntfy://topic alone means the public ntfy.sh server
      const [topic] = parts.length > 0 ? parts : [url.hostname];
      const host = parts.length > 0 ? hostPort(url) : 'ntfy.sh';
      if (!topic) throw bad('ntfy:// needs a topic: ntfy://[user:pass@]host[:port]/topic');
      const headers: Record<string, string> = {};
      if (url.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
      return { kind, endpoint: `${parts.length > 0 ? scheme : 'https'}://${host}/`, headers, topic };
    }
    case 'gotify': {
      const token = parts.at(-1);
      if (!url.hostname || !token) throw bad('gotify:// needs a host and an application token: gotify://host[:port]/TOKEN');
      const prefix = parts.slice(0, -1).map(encodeURIComponent).join('/');
      return { kind, endpoint: `${scheme}://${hostPort(url)}/${prefix ? `${prefix}/` : ''}message?token=${encodeURIComponent(token)}`, headers: {} };
    }
    case 'discord': {
      const [token] = parts;
      if (!url.hostname || !token) throw bad('discord:// needs the webhook id and token: discord://WEBHOOK_ID/TOKEN');
      const base = serviceBase(url, 'https://discord.com');
      return { kind, endpoint: `${base}/api/webhooks/${encodeURIComponent(url.hostname)}/${encodeURIComponent(token)}`, headers: {} };
    }
    case 'slack': {
      const tokens = [url.hostname, ...parts];
      if (tokens.length !== 3 || tokens.some((t) => !t)) throw bad('slack:// needs three tokens: slack://TOKEN_A/TOKEN_B/TOKEN_C');
      const base = serviceBase(url, 'https://hooks.slack.com');
      return { kind, endpoint: `${base}/services/${tokens.map(encodeURIComponent).join('/')}`, headers: {} };
    }
    case 'pagerduty': {
      if (!url.hostname) throw bad('pagerduty:// needs an Events API v2 routing key: pagerduty://ROUTING_KEY');
      const base = serviceBase(url, 'https://events.pagerduty.com');
      return { kind, endpoint: `${base}/v2/enqueue`, headers: {}, routingKey: decodeURIComponent(url.hostname) };
    }
    case 'email': {
      const to = url.searchParams.getAll('to').flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
      if (!url.hostname || to.length === 0) throw bad('mailto:// needs an SMTP host and ?to=ADDR: mailto://user:pass@host:port?to=ADDR');
      const port = url.port ? Number(url.port) : tls ? 465 : 587;
      const user = url.username ? decodeURIComponent(url.username) : undefined;
      const from = url.searchParams.get('from') ?? (user?.includes('@') ? user : `confwatch@${url.hostname}`);
      return {
        kind,
        host: url.hostname,
        port,
        secure: tls || port === 465 || url.searchParams.get('secure') === 'yes',
        ...(user ? { user, pass: decodeURIComponent(url.password) } : {}),
        from,
        to,
      };
    }
    case 'json': {
      if (!url.hostname) throw bad('json:// needs a host: json://host[:port]/path');
      const secret = url.searchParams.get('secret') ?? undefined;
      const query = new URLSearchParams(url.searchParams);
      query.delete('secret');
      const search = query.toString();
      const auth: Record<string, string> = url.username ? { authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}` } : {};
      return { kind, endpoint: `${scheme}://${hostPort(url)}${url.pathname || '/'}${search ? `?${search}` : ''}`, headers: auth, ...(secret ? { secret } : {}) };
    }
  }
}

/**
 * The URL with every secret part masked: passwords, gotify/discord tokens,
 * slack's second and third tokens, the PagerDuty routing key (its first 4
 * characters kept) and `?secret=`. Safe to print and to return from the API.
 */
export function redactChannelUrl(text: string): string {
  const url = parse(text);
  const kind = SCHEMES[url.protocol] as ChannelKind;
  if (url.password) url.password = MASK;
  if (url.searchParams.has('secret')) url.searchParams.set('secret', MASK);
  const parts = url.pathname.split('/');
  const maskLast = () => {
    const last = parts.findLastIndex((p) => p !== '');
    if (last >= 0) parts[last] = MASK;
  };
  if (kind === 'gotify' || kind === 'discord') maskLast();
  if (kind === 'slack') for (let i = 0; i < parts.length; i++) if (parts[i]) parts[i] = MASK;
  url.pathname = parts.join('/');
  let shown = url.toString();
  if (kind === 'pagerduty') shown = shown.replace(`//${url.hostname}`, `//${url.hostname.slice(0, 4)}${MASK}`);
  return decodeURIComponent(shown.replaceAll('%2A', '*'));
}

