import type { ParseResult } from '../parser.js';

/**
 * Runs a parse body and turns anything it throws (a stack overflow on absurdly
 * deep input, a bug) into an error result, so the `Parser` contract — never
 * throw — holds even where the body did not foresee the input.
 */
export function neverThrow<T>(body: () => ParseResult<T>): ParseResult<T> {
  try {
    return body();
  } catch (e) {
    const reason = e instanceof RangeError ? 'input is nested too deeply' : e instanceof Error ? e.message : String(e);
    return { data: null, errors: [{ message: `Cannot parse: ${reason}`, line: 1 }], warnings: [] };
  }
}
