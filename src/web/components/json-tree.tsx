/** Collapsible JSON: objects and arrays are <details>, so they open with the keyboard too. */

function Leaf({ value }: { value: unknown }) {
  if (typeof value === 'string') return <span className="tok-string">{JSON.stringify(value)}</span>;
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return <span className="tok-key">{String(value)}</span>;
  return <span>{JSON.stringify(value)}</span>;
}

export function JsonTree({ value, label, depth = 0 }: { value: unknown; label?: string; depth?: number }) {
  const prefix = label === undefined ? null : <span className="json-label">{label}: </span>;
  if (value === null || typeof value !== 'object') {
    return (
      <div className="json-leaf">
        {prefix}
        <Leaf value={value} />
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  return (
    <details className="json-node" open={depth < 2}>
      <summary>
        {prefix}
        <span className="json-summary">{summary}</span>
      </summary>
      <div className="json-children">
        {entries.map(([key, child]) => (
          <JsonTree key={key} label={key} value={child} depth={depth + 1} />
        ))}
      </div>
    </details>
  );
}
