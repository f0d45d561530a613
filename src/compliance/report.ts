/**
 * The compliance report: fleet summary, score per device and pack, and
 * every finding that is not a pass with its remediation and source. One
 * model, rendered as JSON, Markdown or a self-contained HTML page (inline
 * style, no script, no external resource).
 */
import { type ComplianceRule, RULE_CONFIG_TYPES, type RuleConfigType, SEVERITIES, type Severity } from './rule.js';
import type { JudgedStatus } from './waivers.js';

/** One stored result, as the report reads it. */
export interface ReportResult {
  readonly device: string;
  readonly path: string;
  readonly rule: string;
  readonly status: JudgedStatus;
  readonly message: string | null;
  readonly line: number | null;
  readonly firstSeen: string;
}

export interface Counts {
  pass: number;
  fail: number;
  waived: number;
  error: number;
}

export interface ReportFinding extends ReportResult {
  readonly title: string;
  readonly severity: Severity;
  readonly remediation: string;
  readonly source: ComplianceRule['source'];
}

export interface DeviceReport {
  readonly device: string;
  /** Passes out of passes and failures, in percent; null when nothing was judged. */
  readonly score: number | null;
  readonly counts: Counts;
  readonly packs: Partial<Record<RuleConfigType, Counts & { score: number | null }>>;
  /** Findings other than passes, most severe first. */
  readonly findings: ReportFinding[];
}

export interface ComplianceReport {
  readonly generatedAt: string;
  readonly summary: Counts & { score: number | null };
  readonly devices: DeviceReport[];
}

const zero = (): Counts => ({ pass: 0, fail: 0, waived: 0, error: 0 });
const scoreOf = (c: Counts): number | null => (c.pass + c.fail === 0 ? null : Math.round((100 * c.pass) / (c.pass + c.fail)));
const rank = (s: Severity): number => SEVERITIES.length - SEVERITIES.indexOf(s);

export function buildReport(results: readonly ReportResult[], rules: readonly ComplianceRule[], generatedAt: string): ComplianceReport {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const devices = new Map<string, { counts: Counts; packs: Map<RuleConfigType, Counts>; findings: ReportFinding[] }>();
  const total = zero();
  for (const result of results) {
    const rule = byId.get(result.rule);
    if (!rule) continue;
    let device = devices.get(result.device);
    if (!device) {
      device = { counts: zero(), packs: new Map(), findings: [] };
      devices.set(result.device, device);
    }
    const pack = device.packs.get(rule.configType) ?? zero();
    device.packs.set(rule.configType, pack);
    for (const counts of [total, device.counts, pack]) counts[result.status] += 1;
    if (result.status !== 'pass') device.findings.push({ ...result, title: rule.title, severity: rule.severity, remediation: rule.remediation, source: rule.source });
  }
  return {
    generatedAt,
    summary: { ...total, score: scoreOf(total) },
    devices: [...devices.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([device, d]) => ({
        device,
        score: scoreOf(d.counts),
        counts: d.counts,
        packs: Object.fromEntries(RULE_CONFIG_TYPES.filter((t) => d.packs.has(t)).map((t) => [t, { ...d.packs.get(t)!, score: scoreOf(d.packs.get(t)!) }])),
        findings: d.findings.sort((a, b) => rank(a.severity) - rank(b.severity) || a.path.localeCompare(b.path) || a.rule.localeCompare(b.rule)),
      })),
  };
}

const pct = (score: number | null): string => (score === null ? '–' : `${score}%`);
const at = (f: ReportFinding): string => (f.line ? `${f.path}:${f.line}` : f.path);

/** Markdown: a fleet table, then one section per device with its findings. */
export function reportMarkdown(report: ComplianceReport): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out = [
    '# Compliance report',
    '',
    `Generated ${report.generatedAt}. Fleet score ${pct(report.summary.score)}: ${report.summary.pass} pass, ${report.summary.fail} fail, ${report.summary.waived} waived, ${report.summary.error} error.`,
    '',
    `| device | score | pass | fail | waived | error | ${RULE_CONFIG_TYPES.join(' | ')} |`,
    `|---|---|---|---|---|---|${RULE_CONFIG_TYPES.map(() => '---').join('|')}|`,
  ];
  for (const d of report.devices) {
    const packs = RULE_CONFIG_TYPES.map((t) => pct(d.packs[t]?.score ?? null));
    out.push(`| ${cell(d.device)} | ${pct(d.score)} | ${d.counts.pass} | ${d.counts.fail} | ${d.counts.waived} | ${d.counts.error} | ${packs.join(' | ')} |`);
  }
  for (const d of report.devices) {
    out.push('', `## ${d.device}`, '');
    if (d.findings.length === 0) {
      out.push('No findings.');
      continue;
    }
    out.push('| severity | status | rule | where | finding | remediation | source |', '|---|---|---|---|---|---|---|');
    for (const f of d.findings) {
      const source = f.source.url ? `[${cell(f.source.ref)}](${f.source.url})` : cell(f.source.ref);
      out.push(`| ${f.severity} | ${f.status} | \`${f.rule}\` ${cell(f.title)} | \`${cell(at(f))}\` | ${cell(f.message ?? '')} | ${cell(f.remediation)} | ${source} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Only http(s) links are rendered as links; anything else stays text. */
const link = (source: ComplianceRule['source']): string =>
  source.url && /^https?:\/\//.test(source.url) ? `<a href="${escapeHtml(source.url)}">${escapeHtml(source.ref)}</a>` : escapeHtml(source.ref);

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1c2430}table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f3f5f7}code{font-size:12px}
.critical{color:#8b0000;font-weight:600}.high{color:#c0392b;font-weight:600}.medium{color:#b36b00}.low{color:#52606d}.waived{opacity:.7}`;

/** A self-contained HTML page. */
export function reportHtml(report: ComplianceReport): string {
  const s = report.summary;
  const rows = report.devices
    .map(
      (d) =>
        `<tr><td><a href="#device-${escapeHtml(d.device)}">${escapeHtml(d.device)}</a></td><td>${pct(d.score)}</td><td>${d.counts.pass}</td><td>${d.counts.fail}</td><td>${d.counts.waived}</td><td>${d.counts.error}</td>${RULE_CONFIG_TYPES.map((t) => `<td>${pct(d.packs[t]?.score ?? null)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const sections = report.devices
    .map((d) => {
      const body =
        d.findings.length === 0
          ? '<p>No findings.</p>'
          : `<table><tr><th>severity</th><th>status</th><th>rule</th><th>where</th><th>finding</th><th>remediation</th><th>source</th></tr>\n${d.findings
              .map(
                (f) =>
                  `<tr class="${f.status}"><td class="${f.severity}">${f.severity}</td><td>${f.status}</td><td><code>${escapeHtml(f.rule)}</code><br>${escapeHtml(f.title)}</td><td><code>${escapeHtml(at(f))}</code></td><td>${escapeHtml(f.message ?? '')}</td><td>${escapeHtml(f.remediation)}</td><td>${link(f.source)}</td></tr>`,
              )
              .join('\n')}</table>`;
      return `<h2 id="device-${escapeHtml(d.device)}">${escapeHtml(d.device)} — ${pct(d.score)}</h2>\n${body}`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>confwatch compliance report</title><style>${STYLE}</style></head>
<body><h1>Compliance report</h1>
<p>Generated ${escapeHtml(report.generatedAt)}. Fleet score <strong>${pct(s.score)}</strong>: ${s.pass} pass, ${s.fail} fail, ${s.waived} waived, ${s.error} error.</p>
<table><tr><th>device</th><th>score</th><th>pass</th><th>fail</th><th>waived</th><th>error</th>${RULE_CONFIG_TYPES.map((t) => `<th>${t}</th>`).join('')}</tr>
${rows}</table>
${sections}
</body></html>
`;
}
