/**
 * Time-sortable ids for snapshots, change sets and plans: 26 characters of
 * Crockford base32, 10 for the millisecond timestamp and 16 for randomness
 * (ULID layout). Within one millisecond the random part is incremented, so
 * ids made by one generator sort in creation order even in a burst.
 */
import { pooledRandomBytes } from './random-pool.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;

/** Makes ids; `now` and `random` are injectable so tests control them. */
export function createIdGenerator(
  now: () => number = Date.now,
  random: (bytes: number) => Uint8Array = pooledRandomBytes,
): () => string {
  let lastTime = -1;
  // 16 base32 digits = 80 bits, kept as digits so incrementing is exact.
  let lastRandom: number[] = [];
  return () => {
    const time = Math.max(now(), lastTime);
    if (time === lastTime) {
      lastRandom = increment(lastRandom);
    } else {
      lastTime = time;
      const bytes = random(RANDOM_CHARS);
      lastRandom = Array.from(bytes.subarray(0, RANDOM_CHARS), (b) => b & 31);
    }
    return encodeTime(time) + lastRandom.map((d) => ALPHABET[d]).join('');
  };
}

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function increment(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  // 2^80 ids in one millisecond cannot happen; wrapping would break order.
  throw new Error('id space for this millisecond exhausted');
}

/** The process-wide id generator. */
export const newId: () => string = createIdGenerator();

/** The creation time (ms since epoch) encoded in an id. */
export function idTime(id: string): number {
  let ms = 0;
  for (const ch of id.slice(0, TIME_CHARS)) ms = ms * 32 + ALPHABET.indexOf(ch);
  return ms;
}

const ID_PATTERN = new RegExp(`^[${ALPHABET}]{${TIME_CHARS + RANDOM_CHARS}}$`);

/** Whether `text` has the shape of an id made here (input from outside is checked before it reaches a query). */
export const isId = (text: string): boolean => ID_PATTERN.test(text);

/**
 * The id of something that happened at `ms` elsewhere, the same every
 * time for the same `seed` (its random part is taken from the seed's
 * bytes): an import of another tool's history finds what it imported
 * before by id.
 */
export function idFor(ms: number, seed: Uint8Array): string {
  if (seed.length < RANDOM_CHARS) throw new Error('idFor needs at least 16 seed bytes');
  return encodeTime(ms) + Array.from(seed.subarray(0, RANDOM_CHARS), (b) => ALPHABET[b & 31]).join('');
}
