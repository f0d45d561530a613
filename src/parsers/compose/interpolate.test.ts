// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose `${VAR}` templates are the subject of these tests
import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.js';

const vars = { SET: 'value', EMPTY: '', PORT: '8080' };
const value = (input: string) => interpolate(input, vars).value;

describe('compose interpolation', () => {
  it('substitutes $VAR and ${VAR}, and $$ is a literal $', () => {
    expect(value('a $SET b ${SET}c')).toBe('a value b valuec');
    expect(value('$$HOME and $${SET}')).toBe('$HOME and ${SET}');
    expect(interpolate('${MISSING}x', vars)).toEqual({ value: 'x', unset: ['MISSING'] });
  });

  it('applies defaults with and without the colon', () => {
    expect(value('${EMPTY:-fallback}')).toBe('fallback');
    expect(value('${EMPTY-fallback}')).toBe('');
    expect(value('${MISSING-fallback}')).toBe('fallback');
    expect(value('${SET:-fallback}')).toBe('value');
  });

  it('applies alternatives with and without the colon', () => {
    expect(value('${SET:+alt}')).toBe('alt');
    expect(value('${EMPTY:+alt}')).toBe('');
    expect(value('${EMPTY+alt}')).toBe('alt');
    expect(value('${MISSING+alt}')).toBe('');
  });

  it('reports required variables with their message', () => {
    expect(interpolate('${MISSING:?set it please}', vars).error).toBe('Required variable MISSING is missing a value: set it please');
    expect(interpolate('${EMPTY:?}', vars).error).toMatch(/EMPTY/);
    expect(interpolate('${EMPTY?}', vars).error).toBeUndefined();
  });

  it('interpolates nested defaults', () => {
    expect(value('${MISSING:-${OTHER:-${PORT}}}')).toBe('8080');
    expect(value('${MISSING:-http://${SET}:${PORT}/x}')).toBe('http://value:8080/x');
  });

  it('rejects malformed templates', () => {
    expect(interpolate('${unterminated', vars).error).toMatch(/unterminated/);
    expect(interpolate('${1BAD}', vars).error).toMatch(/Invalid template/);
    expect(interpolate('$(date)', vars).error).toMatch(/Invalid template/);
  });

  it('reads nested defaults by their braces, not by rescanning', () => {
    expect(value('${MISSING:-a}${MISSING:-${SET}}}')).toBe('avalue}');
    expect(value('${SET:-$}${MISSING:+${}}')).toBe('value');
    expect(value('$${MISSING:-x}')).toBe('${MISSING:-x}');
    expect(interpolate('${MISSING:-${OTHER}', vars).error).toMatch(/unterminated/);
  });

  it('refuses nesting deeper than 1000 levels instead of overflowing the stack', () => {
    expect(value(`${'${MISSING:-'.repeat(1_000)}x${'}'.repeat(1_000)}`)).toBe('x');
    expect(interpolate(`${'${MISSING:-'.repeat(100_000)}x${'}'.repeat(100_000)}`, vars).error).toBe('Invalid template: nested deeper than 1000 levels');
  });

  // Interpolation is synchronous, so a test timeout cannot interrupt it: the bound is checked after the fact, in
  // seconds. Rescanning each level's body costs length × depth, 6 billion steps here; linear takes milliseconds.
  it('interpolates in linear time: a 6 MB default nested 1000 deep', () => {
    const filler = 'x'.repeat(6_000_000);
    const started = performance.now();
    expect(value(`${'${MISSING:-'.repeat(1_000)}${filler}${'}'.repeat(1_000)}`)).toBe(filler);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
