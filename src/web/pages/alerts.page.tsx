/**
 * Alerts: channels (added from their URL, tested, removed; URLs shown
 * redacted as the server sends them) and routing rules for admins
 * (alerts:manage), and the delivery log for everyone who may view configs.
 */
import { type FormEvent, useState } from 'react';
import { type ApiError, apiDelete, apiPost, withQuery } from '../api/client.js';
import type { AlertChannel, AlertDelivery, AlertRuleView, AlertTestResult } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { Badge } from '../components/badge.js';
import { useLiveEvent } from '../lib/event-stream.js';
import { formatAgo } from '../lib/format.js';
import { useSession } from '../lib/session.js';

const RISKS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

type Message = { text: string; error: boolean } | undefined;

/** Comma- or space-separated values of a text field. */
const listOf = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

function Status({ message }: { message: Message }) {
  if (!message) return null;
  return (
    <p className={message.error ? 'error' : 'notice'} role="status">
      {message.text}
    </p>
  );
}

function Channels({ onChange }: { onChange: () => void }) {
  const channels = useApi<{ channels: AlertChannel[] }>('/api/alerts/channels');
  const [form, setForm] = useState({ name: '', url: '', minRisk: '' });
  const [message, setMessage] = useState<Message>();
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<string>) => {
    setBusy(true);
    try {
      setMessage({ text: await work(), error: false });
      channels.reload();
      onChange();
    } catch (error) {
      setMessage({ text: (error as ApiError).message, error: true });
    } finally {
      setBusy(false);
    }
  };
  const add = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const added = await apiPost<AlertChannel>('/api/alerts/channels', { name: form.name, url: form.url, ...(form.minRisk ? { minRisk: form.minRisk } : {}) });
      setForm({ name: '', url: '', minRisk: '' });
      return `added ${added.kind} channel ${added.name}`;
    });
  };
  const test = (name: string) =>
    run(async () => {
      const result = await apiPost<AlertTestResult>(`/api/alerts/channels/${encodeURIComponent(name)}/test`);
      if (!result.delivered) throw new Error(`${name}: not delivered (${result.error ?? result.status})`);
      return `${name}: delivered (${result.status})`;
    });
  const remove = (name: string) =>
    run(async () => {
      await apiDelete(`/api/alerts/channels/${encodeURIComponent(name)}`);
      return `removed ${name}`;
    });

  return (
    <section className="panel" aria-labelledby="channels-title">
      <h2 id="channels-title">Channels</h2>
      <Status message={message} />
      {channels.error ? <p className="error">{channels.error.message}</p> : null}
      {channels.data && channels.data.channels.length === 0 ? <p className="muted">No channels yet: alerts go nowhere.</p> : null}
      <div className="table-scroll">
        <table className="files" data-testid="alert-channels">
          <tbody>
            {(channels.data?.channels ?? []).map((c) => (
              <tr key={c.name}>
                <td>
                  <strong>{c.name}</strong> <span className="muted">{c.kind}</span>
                  <div className="muted small">{c.url}</div>
                </td>
                <td>{c.minRisk ? `${c.minRisk}+` : 'default'}</td>
                <td className="actions">
                  <button type="button" disabled={busy} onClick={() => test(c.name)}>
                    Test
                  </button>
                  <button type="button" disabled={busy} onClick={() => remove(c.name)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form className="filters" onSubmit={add}>
        <label>
          Name
          <input required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="phone" />
        </label>
        <label className="grow">
          URL
          <input required value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} placeholder="ntfys://ntfy.example.com/topic" />
        </label>
        <label>
          Min risk
          <select value={form.minRisk} onChange={(e) => setForm({ ...form, minRisk: e.target.value })}>
            <option value="">kind default</option>
            {RISKS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy}>
          Add channel
        </button>
      </form>
    </section>
  );
}

function Rules({ generation }: { generation: number }) {
  const rules = useApi<{ rules: AlertRuleView[] }>(withQuery('/api/alerts/rules', { g: generation }));
  const empty = { name: '', channels: '', minRisk: '', events: '', paths: '', devices: '', quiet: '', digest: '' };
  const [form, setForm] = useState(empty);
  const [message, setMessage] = useState<Message>();
  const field = (key: keyof typeof empty) => ({ value: form[key], onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }) });

  const act = async (work: () => Promise<string>) => {
    try {
      setMessage({ text: await work(), error: false });
      rules.reload();
    } catch (error) {
      setMessage({ text: (error as ApiError).message, error: true });
    }
  };
  const add = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      const rule = await apiPost<AlertRuleView>('/api/alerts/rules', {
        name: form.name,
        channels: listOf(form.channels),
        ...(form.minRisk ? { minRisk: form.minRisk } : {}),
        events: listOf(form.events),
        paths: listOf(form.paths),
        devices: listOf(form.devices),
        ...(form.quiet ? { quiet: form.quiet } : {}),
        ...(form.digest ? { digestSec: Number(form.digest) } : {}),
      });
      setForm(empty);
      return `added rule ${rule.name}`;
    });
  };

  const list = rules.data?.rules ?? [];
  return (
    <section className="panel" aria-labelledby="rules-title">
      <h2 id="rules-title">Rules</h2>
      <Status message={message} />
      {rules.data && list.length === 0 ? (
        <p className="muted">No rules: the default policy applies (MEDIUM → email and webhooks, HIGH → + Slack and Discord, CRITICAL → + PagerDuty).</p>
      ) : null}
      <ul data-testid="alert-rules">
        {list.map((r) => (
          <li key={r.name}>
            <strong>{r.name}</strong>: {r.minRisk}+ {r.events.length > 0 ? r.events.join(', ') : 'any event'}
            {r.paths.length > 0 ? ` on ${r.paths.join(', ')}` : ''} → {r.channels.join(', ')}
            {r.quiet ? ` (quiet ${r.quiet.start}–${r.quiet.end})` : ''}
            {r.digestSec ? ` (digest ${r.digestSec} s)` : ''}{' '}
            <button
              type="button"
              onClick={() =>
                act(async () => {
                  await apiDelete(`/api/alerts/rules/${encodeURIComponent(r.name)}`);
                  return `removed ${r.name}`;
                })
              }
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form className="filters" onSubmit={add}>
        <label>
          Name
          <input required {...field('name')} />
        </label>
        <label>
          Channels
          <input required {...field('channels')} placeholder="phone, oncall" />
        </label>
        <label>
          Min risk
          <select {...field('minRisk')}>
            <option value="">LOW</option>
            {RISKS.slice(1).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Events
          <input {...field('events')} placeholder="config.drift.detected" />
        </label>
        <label>
          Devices
          <input {...field('devices')} />
        </label>
        <label>
          Path globs
          <input {...field('paths')} placeholder="/etc/nginx/**" />
        </label>
        <label>
          Quiet hours
          <input {...field('quiet')} placeholder="22:00-07:00" />
        </label>
        <label>
          Digest (s)
          <input type="number" min={1} {...field('digest')} />
        </label>
        <button type="submit">Add rule</button>
      </form>
    </section>
  );
}

function DeliveryLog() {
  const log = useApi<{ deliveries: AlertDelivery[] }>(withQuery('/api/alerts/log', { limit: 100 }));
  useLiveEvent((event) => {
    if (event.type === 'alert.delivered' || event.type === 'alert.failed') log.reload();
  });
  return (
    <section className="panel" aria-labelledby="log-title">
      <h2 id="log-title">Delivery log</h2>
      {log.error ? <p className="error">{log.error.message}</p> : null}
      {log.data && log.data.deliveries.length === 0 ? <p className="muted">Nothing sent yet.</p> : null}
      <div className="table-scroll">
        <table className="files" data-testid="alert-log">
          <tbody>
            {(log.data?.deliveries ?? []).map((d) => (
              <tr key={d.id}>
                <td>
                  {d.title}
                  <div className="muted small">
                    {d.event} · {d.device} · {formatAgo(d.at)}
                  </div>
                  {d.error ? <div className={d.status === 'failed' ? 'error small' : 'muted small'}>{d.error}</div> : null}
                </td>
                <td>{d.channel}</td>
                <td>
                  <Badge value={d.riskLevel} />
                </td>
                <td>
                  {d.status}
                  {d.attempts > 1 ? ` (${d.attempts} attempts)` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function AlertsPage() {
  const session = useSession();
  const [generation, setGeneration] = useState(0);
  return (
    <div className="stack">
      <h1>Alerts</h1>
      {session.can('alerts:manage') ? (
        <>
          <Channels onChange={() => setGeneration((g) => g + 1)} />
          <Rules generation={generation} />
        </>
      ) : null}
      {session.can('config:view') ? <DeliveryLog /> : null}
    </div>
  );
}
