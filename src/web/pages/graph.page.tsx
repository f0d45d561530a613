/**
 * The dependency graph of one device, laid out in layers (dependents above
 * what they depend on) and drawn as SVG. Selecting a node (click, or Tab
 * and Enter) highlights its direct edges and lists its neighbours.
 */
import { useMemo, useState } from 'react';
import type { GraphData } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { DeviceCrumbs } from '../components/device-crumbs.js';
import { layoutGraph } from '../lib/graph-layout.js';

const NODE_WIDTH = 150;
const NODE_HEIGHT = 42;

/** Keeps labels inside the node box. */
const clip = (text: string, max = 20) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function GraphPage({ device }: { device: string }) {
  const graph = useApi<GraphData>(`/api/devices/${encodeURIComponent(device)}/deps`);
  const [selected, setSelected] = useState<string | null>(null);
  const layout = useMemo(() => (graph.data ? layoutGraph(graph.data) : null), [graph.data]);

  const edges = graph.data?.edges ?? [];
  const names = new Map(graph.data?.nodes.map((n) => [n.id, n.name]));
  const dependsOn = edges.filter((e) => e.from === selected);
  const dependents = edges.filter((e) => e.to === selected);

  return (
    <div className="stack">
      <DeviceCrumbs device={device} current="dependencies" />
      <section className="panel" aria-labelledby="graph-title">
        <h1 id="graph-title">Dependencies of {device}</h1>
        {graph.error ? <p className="error">{graph.error.message}</p> : null}
        {graph.data?.nodes.length === 0 ? <p className="muted">No dependencies known yet.</p> : null}
        {layout && graph.data && graph.data.nodes.length > 0 ? (
          <div className="graph-scroll">
            <svg className="graph" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`}>
              <title>{`Dependency graph of ${device}`}</title>
              <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse">
                  <path d="M 0 0 L 10 5 L 0 10 z" className="arrow-head" />
                </marker>
              </defs>
              {edges.map((e) => {
                const a = layout.nodes.get(e.from);
                const b = layout.nodes.get(e.to);
                if (!a || !b) return null;
                const active = selected !== null && (e.from === selected || e.to === selected);
                return (
                  <path
                    key={`${e.from}>${e.to}:${e.kind}`}
                    d={`M ${a.x} ${a.y + NODE_HEIGHT / 2} C ${a.x} ${(a.y + b.y) / 2}, ${b.x} ${(a.y + b.y) / 2}, ${b.x} ${b.y - NODE_HEIGHT / 2}`}
                    className={`edge ${active ? 'edge-active' : ''}`}
                    markerEnd="url(#arrow)"
                  >
                    <title>{`${e.from} ${e.kind} ${e.to}`}</title>
                  </path>
                );
              })}
              {graph.data.nodes.map((n) => {
                const p = layout.nodes.get(n.id);
                if (!p) return null;
                const choose = () => setSelected(selected === n.id ? null : n.id);
                return (
                  // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>; it gets the role and keys instead
                  <g
                    key={n.id}
                    className={`node node-${n.kind} ${selected === n.id ? 'node-selected' : ''}`}
                    transform={`translate(${p.x - NODE_WIDTH / 2} ${p.y - NODE_HEIGHT / 2})`}
                    tabIndex={0}
                    role="button"
                    aria-pressed={selected === n.id}
                    aria-label={`${n.kind} ${n.name}`}
                    onClick={choose}
                    onKeyDown={(event) => {
                      if (event.key === 'Enter' || event.key === ' ') {
                        event.preventDefault();
                        choose();
                      }
                    }}
                  >
                    <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={6} />
                    <text x={NODE_WIDTH / 2} y={15} textAnchor="middle" className="node-kind">
                      {n.kind}
                    </text>
                    <text x={NODE_WIDTH / 2} y={32} textAnchor="middle">
                      {clip(n.name)}
                    </text>
                    <title>{n.id}</title>
                  </g>
                );
              })}
            </svg>
          </div>
        ) : null}
        {selected ? (
          <div className="two-columns" aria-live="polite">
            <div>
              <h2>{names.get(selected) ?? selected} depends on</h2>
              <ul>{dependsOn.length === 0 ? <li className="muted">nothing</li> : dependsOn.map((e) => <li key={e.to + e.kind}>{`${names.get(e.to) ?? e.to} (${e.kind})`}</li>)}</ul>
            </div>
            <div>
              <h2>Depend on it</h2>
              <ul>{dependents.length === 0 ? <li className="muted">nothing</li> : dependents.map((e) => <li key={e.from + e.kind}>{`${names.get(e.from) ?? e.from} (${e.kind})`}</li>)}</ul>
            </div>
          </div>
        ) : (
          <p className="muted">Select a node to see what it depends on and what depends on it.</p>
        )}
      </section>
    </div>
  );
}
