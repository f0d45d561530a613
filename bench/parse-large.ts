/**
 * `parse-large`: milliseconds to parse about 5 MB of input per shape, for
 * every parser (shapes in parse-large-shapes.ts). `npm run bench --
 * parse-large [nginx|compose|systemd|sshd|generic] [rounds]`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CONFIG_TYPES, type ConfigType } from '../src/parsers/parser.js';
import { parseFile } from '../src/parsers/registry.js';
import { largeShapes } from './parse-large-shapes.js';

/** Rounds per shape after the first; each shape is big, so a few are enough for a stable best. */
const DEFAULT_ROUNDS = 3;

/**
 * A full collection before each timed parse, so one parse is not charged for
 * the garbage of the generator or of the round before it.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export async function run(args: string[]): Promise<object> {
  const only = args.find((a): a is ConfigType => (CONFIG_TYPES as readonly string[]).includes(a));
  const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? DEFAULT_ROUNDS);
  const shapes = [];
  for (const shape of largeShapes(only)) {
    const bytes = shape.generate();
    const parse = () => {
      collectGarbage();
      const started = performance.now();
      const result = parseFile(shape.type, bytes, { path: shape.path });
      return { ms: performance.now() - started, result };
    };
    // The first round carries one-time costs (JIT, compose schema compilation): reported apart.
    const first = parse();
    const times = Array.from({ length: rounds }, () => parse().ms).sort((a, b) => a - b);
    shapes.push({
      parser: shape.type,
      shape: shape.name,
      bytes: bytes.length,
      ms: Number((times[0] ?? first.ms).toFixed(1)),
      medianMs: Number((times[Math.floor(times.length / 2)] ?? first.ms).toFixed(1)),
      firstMs: Number(first.ms.toFixed(1)),
      errors: first.result.errors.length,
      firstError: first.result.errors[0] ?? null,
    });
  }
  return { rounds, shapes };
}
