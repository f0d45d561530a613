import { describe, expect, it } from 'vitest';
import { createIdGenerator, idTime, isId, newId } from './ids.js';

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('ids', () => {
  it('are 26 Crockford base32 characters carrying their time', () => {
    const id = createIdGenerator(() => 1_700_000_000_123)();
    expect(id).toMatch(CROCKFORD);
    expect(idTime(id)).toBe(1_700_000_000_123);
  });

  it('increase strictly within one millisecond', () => {
    const next = createIdGenerator(() => 42);
    const ids = Array.from({ length: 1000 }, next);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });

  it('carry the increment across digits', () => {
    const next = createIdGenerator(
      () => 7,
      (n) => new Uint8Array(n).fill(31).fill(0, 0, 1),
    );
    const first = next();
    const second = next();
    expect(first.slice(10)).toBe(`0${'Z'.repeat(15)}`);
    expect(second.slice(10)).toBe(`1${'0'.repeat(15)}`);
  });

  it('sort by time across milliseconds, even if the clock steps back', () => {
    let t = 1000;
    const next = createIdGenerator(() => t);
    const a = next();
    t = 2000;
    const b = next();
    t = 1500;
    const c = next();
    expect(a < b && b < c).toBe(true);
  });

  it('differ between calls of the shared generator', () => {
    expect(newId()).not.toBe(newId());
  });

  it('are recognised by shape, and text that is not one is not', () => {
    expect(isId(newId())).toBe(true);
    for (const text of ['', 'x', `${newId()}0`, newId().toLowerCase(), `${newId().slice(0, 25)}U`, "' or 1=1 --"]) expect(isId(text)).toBe(false);
  });
});
