/**
 * Templates: the built-ins and stored templates; one template's body,
 * schema and versions; a render with variables (never touching a host:
 * `valid` is the parser's verdict). Adding a version and removing need
 * config:edit, reading and rendering config:view.
 */
import { type FormEvent, useState } from 'react';
import { type ApiError, apiDelete, apiPost } from '../api/client.js';
import type { TemplateDetail, TemplateRender, TemplateSummary } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { Badge } from '../components/badge.js';
import { Link, paths } from '../lib/router.js';
import { useSession } from '../lib/session.js';

const TYPES = ['nginx', 'compose', 'systemd', 'sshd', 'env', 'generic'] as const;

type Message = { text: string; error: boolean } | undefined;

function Status({ message }: { message: Message }) {
  if (!message) return null;
  return (
    <p className={message.error ? 'error' : 'notice'} role="status">
      {message.text}
    </p>
  );
}

/** A JSON object from a text field; `{}` when empty. */
function jsonObject(text: string, what: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function Detail({ name, onRemoved }: { name: string; onRemoved: () => void }) {
  const session = useSession();
  const detail = useApi<TemplateDetail>(`/api/templates/${encodeURIComponent(name)}`);
  const [variables, setVariables] = useState('');
  const [result, setResult] = useState<TemplateRender>();
  const [message, setMessage] = useState<Message>();
  const [busy, setBusy] = useState(false);
  const [target, setTarget] = useState({ device: '', path: '' });
  const [proposed, setProposed] = useState<{ id: string; status: string; riskLevel: string }>();

  const apply = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(undefined);
    setProposed(undefined);
    try {
      const applied = await apiPost<{ changeRequest: { id: string; status: string; riskLevel: string } }>(`/api/templates/${encodeURIComponent(name)}/apply`, {
        device: target.device,
        path: target.path,
        variables: jsonObject(variables, 'variables'),
      });
      setProposed(applied.changeRequest);
    } catch (error) {
      setMessage({ text: (error as ApiError).message, error: true });
    } finally {
      setBusy(false);
    }
  };

  const render = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(undefined);
    try {
      setResult(await apiPost<TemplateRender>(`/api/templates/${encodeURIComponent(name)}/render`, { variables: jsonObject(variables, 'variables') }));
    } catch (error) {
      setResult(undefined);
      setMessage({ text: (error as ApiError).message, error: true });
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    try {
      await apiDelete(`/api/templates/${encodeURIComponent(name)}`);
      onRemoved();
    } catch (error) {
      setMessage({ text: (error as ApiError).message, error: true });
    }
  };

  if (detail.error) return <p className="error">{detail.error.message}</p>;
  const t = detail.data;
  if (!t) return <p className="muted">Loading…</p>;
  return (
    <section className="panel" aria-labelledby="template-title" data-testid="template-detail">
      <h2 id="template-title">
        {t.name} <span className="muted">v{t.version}</span> <Badge value={t.type} /> {t.builtin ? <Badge value="built-in" /> : null}
      </h2>
      {t.description ? <p>{t.description}</p> : null}
      <p className="muted">Versions: {t.versions.map((v) => `v${v.version}${v.createdBy ? ` by ${v.createdBy}` : ''}`).join(', ')}</p>
      <pre className="code" data-testid="template-body">
        {t.body}
      </pre>
      <details>
        <summary>Variables schema</summary>
        <pre className="code">{JSON.stringify(t.schema, null, 2)}</pre>
      </details>
      <form onSubmit={render} className="stack">
        <label>
          Variables (JSON)
          <textarea name="variables" rows={4} value={variables} onChange={(e) => setVariables(e.target.value)} placeholder='{"name": "sonarr", "upstream_app": "sonarr", "upstream_port": 8989}' />
        </label>
        <button type="submit" disabled={busy}>
          Render
        </button>
      </form>
      <Status message={message} />
      {result ? (
        <div data-testid="template-render">
          <p>
            {result.valid ? <Badge value="valid" label="parses" /> : <Badge value="invalid" label="does not parse" />} <span className="muted">(parse-level check; nothing was sent to a host)</span>
          </p>
          {result.errors.length > 0 ? (
            <ul className="error">
              {result.errors.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          ) : null}
          <pre className="code">{result.content}</pre>
        </div>
      ) : null}
      {session.can('config:edit') ? (
        <form onSubmit={apply} className="stack" aria-label="Apply to a device">
          <p className="muted">Apply renders with the variables above, validates the result on the device and proposes it as a change request.</p>
          <label>
            Device
            <input name="device" value={target.device} onChange={(e) => setTarget({ ...target, device: e.target.value })} required />
          </label>
          <label>
            Path on the device
            <input name="path" value={target.path} onChange={(e) => setTarget({ ...target, path: e.target.value })} required placeholder="/config/nginx/proxy-confs/app.subdomain.conf" />
          </label>
          <button type="submit" disabled={busy}>
            Propose as a change request
          </button>
        </form>
      ) : null}
      {proposed ? (
        <p role="status" data-testid="template-proposed">
          Proposed <Link href={paths.change(proposed.id)}>change request {proposed.id}</Link>: {proposed.status}, risk {proposed.riskLevel}
        </p>
      ) : null}
      {!t.builtin && session.can('config:edit') ? (
        <button type="button" onClick={() => void remove()}>
          Remove {t.name} (every version)
        </button>
      ) : null}
    </section>
  );
}

function AddForm({ onAdded }: { onAdded: (name: string) => void }) {
  const [form, setForm] = useState({ name: '', type: 'generic', body: '', schema: '', description: '' });
  const [message, setMessage] = useState<Message>();
  const add = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const schema = form.schema.trim() === '' ? undefined : jsonObject(form.schema, 'schema');
      const added = await apiPost<TemplateDetail>('/api/templates', {
        name: form.name,
        type: form.type,
        body: form.body,
        ...(schema ? { schema } : {}),
        ...(form.description ? { description: form.description } : {}),
      });
      setMessage({ text: `added ${added.name} v${added.version}`, error: false });
      onAdded(added.name);
    } catch (error) {
      setMessage({ text: (error as ApiError).message, error: true });
    }
  };
  return (
    <section className="panel" aria-labelledby="template-add-title">
      <h2 id="template-add-title">Add a template or a new version</h2>
      <form onSubmit={add} className="stack">
        <label>
          Name
          <input name="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required />
        </label>
        <label>
          Type
          <select name="type" value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value })}>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Body (Liquid)
          <textarea name="body" rows={6} value={form.body} onChange={(e) => setForm({ ...form, body: e.target.value })} required />
        </label>
        <label>
          Variables schema (JSON Schema, optional)
          <textarea name="schema" rows={3} value={form.schema} onChange={(e) => setForm({ ...form, schema: e.target.value })} />
        </label>
        <label>
          Description
          <input name="description" value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />
        </label>
        <button type="submit">Add</button>
      </form>
      <Status message={message} />
    </section>
  );
}

export function TemplatesPage() {
  const session = useSession();
  const list = useApi<{ templates: TemplateSummary[] }>('/api/templates');
  const [selected, setSelected] = useState<string>();
  return (
    <>
      <h1>Templates</h1>
      {list.error ? <p className="error">{list.error.message}</p> : null}
      <div className="table-scroll">
        <table className="files" data-testid="templates">
          <tbody>
            {(list.data?.templates ?? []).map((t) => (
              <tr key={t.name} aria-selected={t.name === selected}>
                <td>
                  <button type="button" className="link" onClick={() => setSelected(t.name)}>
                    {t.name}
                  </button>
                </td>
                <td>v{t.version}</td>
                <td>{t.type}</td>
                <td>{t.builtin ? 'built-in' : (t.createdBy ?? '')}</td>
                <td className="muted">{t.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {selected ? (
        <Detail
          key={`${selected}\0${list.data?.templates.find((t) => t.name === selected)?.version ?? 0}`}
          name={selected}
          onRemoved={() => {
            setSelected(undefined);
            list.reload();
          }}
        />
      ) : null}
      {session.can('config:edit') ? (
        <AddForm
          onAdded={(name) => {
            list.reload();
            setSelected(name);
          }}
        />
      ) : null}
    </>
  );
}
