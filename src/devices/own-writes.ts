/**
 * The writes confwatch is making itself. A write-back records its own
 * version of each file (with its actor, source and batch); the watcher sees
 * the same rename and would store it again as a `realtime` version with no
 * actor. Before committing, a write-back names each file with the hash it
 * is about to write (null: a delete); capture skips a version of that file
 * with that hash while the write-back runs and for a grace period after
 * (the watcher's read may land after the write-back has recorded its own).
 */

/** One file confwatch is about to write: its path on the device and the hash of the new bytes (null: deleted). */
export interface OwnWrite {
  readonly device: string;
  readonly path: string;
  readonly hash: string | null;
}

/** How long after a write-back ends a version with its hash is still taken for its own. */
export const OWN_WRITE_GRACE_MS = 30_000;

interface Expected {
  active: number;
  /** Epoch ms until which it still counts once no write-back holds it. */
  until: number;
}

const keyOf = (device: string, path: string, hash: string | null): string => `${device}\0${path}\0${hash ?? ''}`;

export class OwnWrites {
  readonly #expected = new Map<string, Expected>();
  readonly #graceMs: number;

  constructor(graceMs: number = OWN_WRITE_GRACE_MS) {
    this.#graceMs = graceMs;
  }

  /** Announces writes about to be made; call the returned function once they are recorded (or undone). */
  expect(writes: readonly OwnWrite[]): () => void {
    this.#prune();
    const keys = writes.map((w) => keyOf(w.device, w.path, w.hash));
    for (const key of keys) {
      const found = this.#expected.get(key) ?? { active: 0, until: 0 };
      found.active++;
      this.#expected.set(key, found);
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const until = Date.now() + this.#graceMs;
      for (const key of keys) {
        const found = this.#expected.get(key);
        if (!found) continue;
        found.active--;
        found.until = until;
      }
    };
  }

  /** True when this version of the file is one confwatch is writing, or wrote within the grace period. */
  isOwn(device: string, path: string, hash: string | null): boolean {
    const found = this.#expected.get(keyOf(device, path, hash));
    return found !== undefined && (found.active > 0 || found.until > Date.now());
  }

  #prune(): void {
    const now = Date.now();
    for (const [key, found] of this.#expected) if (found.active === 0 && found.until <= now) this.#expected.delete(key);
  }
}
