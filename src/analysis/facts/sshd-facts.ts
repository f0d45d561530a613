/**
 * The effective global settings of an sshd_config: keywords lower-cased,
 * the first value wins (as sshd reads it), `Match` blocks excluded. Taken
 * from the sshd parser's `settings` when present, else read from the text.
 */
import { asRecord, asStrings, asText, isRecord } from '../loose-data.js';

export type SshdSettings = Readonly<Record<string, string>>;

export function sshdSettings(data: unknown, text: string | undefined): SshdSettings {
  const settings = asRecord(data).settings ?? asRecord(data).global;
  if (isRecord(settings)) {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(settings)) {
      // Keywords sshd accumulates (Port, ListenAddress…) are lists: compare them whole.
      const effective = Array.isArray(value) ? asStrings(value).join(' ') : asText(value);
      if (effective !== undefined) out[key.toLowerCase()] = effective;
    }
    return out;
  }
  return text === undefined ? {} : settingsFromText(text);
}

function settingsFromText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = line.match(/^(\S+?)(?:\s*=\s*|\s+)(.*)$/);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    if (key === 'match') break;
    out[key] ??= m[2]!.replace(/\s+#.*$/, '').trim();
  }
  return out;
}
