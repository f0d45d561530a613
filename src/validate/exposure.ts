/**
 * The exposure score `systemd-analyze security` gives a service unit, read
 * on the device that runs it (its systemd decides what each option weighs).
 * Each unit is written to a private temp directory and analysed offline
 * (`--offline=yes`, systemd 250 and later): the live unit and the running
 * system are never consulted, so the score is that of the stored version.
 *
 * Many units go in one request over the persistent shell; their bytes travel
 * quoted inside the script, which `run` sends on stdin.
 */
import { joinScripts, type ShellScript, sh } from '../transport/quote.js';
import { type RemotePath, remoteBasename } from '../transport/remote-path.js';
import type { Transport } from '../transport/transport.js';
import { prologue } from './remote-validation.js';

const TIMEOUT_MS = 60_000;
/** Unit bytes sent in one request; more units go in further requests. */
const BATCH_BYTES = 512 * 1024;
/** A unit larger than this is not a unit anyone wrote by hand: not analysed. */
const MAX_UNIT_BYTES = 256 * 1024;

export interface UnitToScore {
  readonly path: RemotePath;
  readonly content: Buffer;
}

/** systemd's words for the score bands, lowest exposure first. */
export type ExposureLevel = 'PERFECT' | 'SAFE' | 'OK' | 'MEDIUM' | 'EXPOSED' | 'UNSAFE' | 'DANGEROUS';

export type ExposureScore = { readonly score: number; readonly level: ExposureLevel } | { readonly unavailable: string };

const LEVELS: ReadonlySet<string> = new Set(['PERFECT', 'SAFE', 'OK', 'MEDIUM', 'EXPOSED', 'UNSAFE', 'DANGEROUS']);
const MARK = '@@confwatch-unit';
const OVERALL = /Overall exposure level for .*?:\s*([0-9]+(?:\.[0-9]+)?)\s+([A-Z]+)/;

/** Scores every `.service` unit given; other units and units too large are left out of the answer. */
export async function scoreExposure(transport: Pick<Transport, 'run'>, units: readonly UnitToScore[]): Promise<Map<RemotePath, ExposureScore>> {
  const scores = new Map<RemotePath, ExposureScore>();
  const eligible = units.filter((u) => remoteBasename(u.path).endsWith('.service') && u.content.length <= MAX_UNIT_BYTES && !u.content.includes(0));
  for (const batch of batches(eligible)) {
    const result = await transport.run(scoreScript(batch), { timeoutMs: TIMEOUT_MS });
    const output = result.stdout.toString('utf8');
    if (result.code === 127) {
      for (const unit of batch) scores.set(unit.path, { unavailable: 'systemd-analyze is not installed on this host' });
      continue;
    }
    for (const [index, section] of sections(output)) {
      const unit = batch[index];
      if (!unit) continue;
      const match = OVERALL.exec(section);
      const level = match?.[2];
      scores.set(
        unit.path,
        match && level && LEVELS.has(level)
          ? { score: Number(match[1]), level: level as ExposureLevel }
          : { unavailable: firstLine(section) || 'systemd-analyze security gave no score (it needs systemd 250 or later for --offline)' },
      );
    }
  }
  return scores;
}

function* batches(units: readonly UnitToScore[]): Generator<UnitToScore[]> {
  let batch: UnitToScore[] = [];
  let bytes = 0;
  for (const unit of units) {
    if (batch.length > 0 && bytes + unit.content.length > BATCH_BYTES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(unit);
    bytes += unit.content.length;
  }
  if (batch.length > 0) yield batch;
}

function scoreScript(batch: readonly UnitToScore[]): ShellScript {
  const steps = batch.map(
    (unit, index) => sh`mkdir "$t"/${index} && printf '%s' ${unit.content} > "$t"/${index}/${remoteBasename(unit.path)} || exit 1
echo ${`${MARK} ${index}`}
systemd-analyze security --offline=yes --no-pager "$t"/${index}/${remoteBasename(unit.path)} 2>&1 | grep -a -m1 -e 'Overall exposure level' -e 'rror' -e 'nrecognized' -e 'nknown'`,
  );
  return sh`command -v systemd-analyze >/dev/null 2>&1 || exit 127
${prologue}${joinScripts(steps)}
`;
}

/** The output after each marker line, by unit index. */
function sections(output: string): Map<number, string> {
  const out = new Map<number, string>();
  let current: number | null = null;
  for (const line of output.split('\n')) {
    if (line.startsWith(`${MARK} `)) {
      current = Number(line.slice(MARK.length + 1));
      out.set(current, '');
    } else if (current !== null) {
      out.set(current, `${out.get(current)}${line}\n`);
    }
  }
  return out;
}

const firstLine = (text: string): string => text.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 200) ?? '';
