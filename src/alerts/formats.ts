/**
 * The body each service expects for one alert: ntfy's JSON publish, Gotify's
 * message with a click URL in `extras`, Discord's and Slack's formatted
 * webhooks (risk colour, device, path, summary, diff excerpt), PagerDuty
 * Events API v2, the plain-text and HTML mail, and the generic JSON webhook
 * (the alert itself). Pure: no I/O.
 */
import type { RiskLevel } from '../analysis/risk-level.js';
import type { Alert } from './alert.js';
import type { HttpTarget } from './channel-url.js';

const COLOURS: Readonly<Record<RiskLevel, number>> = { LOW: 0x2e7d32, MEDIUM: 0xf9a825, HIGH: 0xef6c00, CRITICAL: 0xc62828 };
const NTFY_PRIORITY: Readonly<Record<RiskLevel, number>> = { LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };
const GOTIFY_PRIORITY: Readonly<Record<RiskLevel, number>> = { LOW: 2, MEDIUM: 5, HIGH: 8, CRITICAL: 10 };
const PAGERDUTY_SEVERITY: Readonly<Record<RiskLevel, string>> = { LOW: 'info', MEDIUM: 'warning', HIGH: 'error', CRITICAL: 'critical' };

/** The text of an alert for services that show plain text: summary, files, items of a summary, source. */
export function alertText(alert: Alert): string {
  const lines: string[] = [];
  if (alert.summary) lines.push(alert.summary);
  if (alert.paths.length > 0) {
    const shown = alert.paths.slice(0, 10);
    lines.push(`${alert.paths.length === 1 ? 'File' : `Files (${alert.paths.length})`}: ${shown.join(', ')}${alert.paths.length > shown.length ? ', …' : ''}`);
  }
  if (alert.downstreamServices.length > 0) lines.push(`Downstream: ${alert.downstreamServices.join(', ')}`);
  for (const item of alert.items ?? []) lines.push(`- [${item.riskLevel}] ${item.title}${item.unresolved ? ' (still unresolved)' : ''}`);
  const origin = [alert.source && `source ${alert.source}`, alert.actor && `by ${alert.actor}`].filter(Boolean).join(', ');
  if (origin) lines.push(`Seen: ${origin}`);
  return lines.join('\n');
}

const codeBlock = (diff: string, max: number): string => (diff ? `\n\`\`\`diff\n${diff.slice(0, max)}\n\`\`\`` : '');

/** The JSON body of an HTTP channel's POST. */
export function httpBody(target: HttpTarget, alert: Alert): unknown {
  switch (target.kind) {
    case 'ntfy':
      return {
        topic: target.topic,
        title: alert.title,
        message: alertText(alert) || alert.title,
        priority: NTFY_PRIORITY[alert.riskLevel],
        tags: ['confwatch', alert.riskLevel.toLowerCase(), alert.device],
        ...(alert.link ? { click: alert.link } : {}),
      };
    case 'gotify':
      return {
        title: alert.title,
        message: `${alertText(alert)}${codeBlock(alert.diff, 4000)}`,
        priority: GOTIFY_PRIORITY[alert.riskLevel],
        extras: {
          'client::display': { contentType: 'text/markdown' },
          ...(alert.link ? { 'client::notification': { click: { url: alert.link } } } : {}),
        },
      };
    case 'discord':
      return {
        username: 'confwatch',
        embeds: [
          {
            title: alert.title.slice(0, 256),
            description: `${alertText(alert)}${codeBlock(alert.diff, 3000)}`.slice(0, 4096),
            color: COLOURS[alert.riskLevel],
            ...(alert.link ? { url: alert.link } : {}),
            fields: [
              { name: 'Device', value: alert.device, inline: true },
              { name: 'Risk', value: alert.riskLevel, inline: true },
              ...(alert.path ? [{ name: 'Path', value: alert.path.slice(0, 1024) }] : []),
            ],
            timestamp: alert.at,
          },
        ],
      };
    case 'slack':
      return {
        text: alert.title,
        attachments: [
          {
            color: `#${COLOURS[alert.riskLevel].toString(16).padStart(6, '0')}`,
            title: alert.title,
            ...(alert.link ? { title_link: alert.link } : {}),
            text: `${alertText(alert)}${codeBlock(alert.diff, 3000)}`,
            fields: [
              { title: 'Device', value: alert.device, short: true },
              { title: 'Risk', value: alert.riskLevel, short: true },
              ...(alert.path ? [{ title: 'Path', value: alert.path, short: false }] : []),
            ],
            ts: Math.floor(Date.parse(alert.at) / 1000),
          },
        ],
      };
    case 'pagerduty':
      return {
        routing_key: target.routingKey,
        event_action: alert.action,
        dedup_key: alert.incidentKey,
        ...(alert.action === 'trigger'
          ? {
              payload: {
                summary: alert.title.slice(0, 1024),
                source: alert.device,
                severity: PAGERDUTY_SEVERITY[alert.riskLevel],
                timestamp: alert.at,
                component: alert.path ?? undefined,
                class: alert.event,
                custom_details: { summary: alert.summary, paths: alert.paths, diff: alert.diff, changeSetId: alert.changeSetId, snapshotId: alert.snapshotId },
              },
              ...(alert.link ? { links: [{ href: alert.link, text: 'Open in confwatch' }] } : {}),
            }
          : {}),
      };
    case 'json':
      return alert;
  }
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The mail of an alert: subject, plain text and HTML (with the diff). */
export function mailContent(alert: Alert): { subject: string; text: string; html: string } {
  const text = [alertText(alert), alert.diff && `\n${alert.diff}`, alert.link && `\n${alert.link}`].filter(Boolean).join('\n');
  const colour = `#${COLOURS[alert.riskLevel].toString(16).padStart(6, '0')}`;
  const html = [
    `<h2 style="border-left:6px solid ${colour};padding-left:8px">${escapeHtml(alert.title)}</h2>`,
    `<p>${escapeHtml(alertText(alert)).replaceAll('\n', '<br>')}</p>`,
    alert.diff ? `<pre style="background:#f5f5f5;padding:8px">${escapeHtml(alert.diff)}</pre>` : '',
    alert.link ? `<p><a href="${escapeHtml(alert.link)}">Open in confwatch</a></p>` : '',
  ].join('\n');
  return { subject: `[confwatch] ${alert.title}`, text, html };
}
