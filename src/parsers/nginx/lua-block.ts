import { NginxConfigError, UNKNOWN_FILE_LABEL } from './config-error.js';
import type { TokenColumns } from './token.js';
import { isSpaceUnit, type UnitReader } from './unit-reader.js';

/** OpenResty directives whose block is Lua code, kept as one raw token. */
export const LUA_BLOCK_DIRECTIVES: ReadonlySet<string> = new Set([
  'access_by_lua_block',
  'balancer_by_lua_block',
  'body_filter_by_lua_block',
  'content_by_lua_block',
  'header_filter_by_lua_block',
  'init_by_lua_block',
  'init_worker_by_lua_block',
  'log_by_lua_block',
  'rewrite_by_lua_block',
  'set_by_lua_block',
  'ssl_certificate_by_lua_block',
  'ssl_session_fetch_by_lua_block',
  'ssl_session_store_by_lua_block',
]);

/**
 * Lexes the Lua block after a `*_by_lua_block` directive: the body becomes a
 * single quoted token followed by a `;`. `set_by_lua_block` first takes one
 * argument (its result variable). Pushes the tokens it produces; returns
 * false when the text ended first (the remaining input is then lost, as in
 * crossplane). Braces inside Lua strings and `--` comments are not counted.
 */
export function lexLuaBlock(reader: UnitReader, directive: string, out: TokenColumns): boolean {
  if (directive === 'set_by_lua_block' && !lexLuaArgument(reader, out)) return false;

  do {
    if (!reader.advance()) return false;
  } while (isSpaceUnit(reader.unit));
  const opener: string = reader.unit;
  if (opener !== '{') {
    throw new NginxConfigError('expected { to start Lua block', UNKNOWN_FILE_LABEL, reader.line);
  }

  let depth = 1;
  let body = '';
  while (reader.advance()) {
    let unit: string = reader.unit;
    if (unit === '-') {
      const dashLine = reader.line;
      if (!reader.advance()) return false;
      const following: string = reader.unit;
      if (following === '-') {
        body += '-';
        while (reader.unit !== '\n') {
          body += reader.unit;
          if (!reader.advance()) return false;
        }
        unit = '\n';
      } else {
        reader.pushBack(following, reader.line);
        reader.line = dashLine;
      }
    } else if (unit === '{') {
      depth++;
    } else if (unit === '}') {
      depth--;
    } else if (unit === '"' || unit === "'") {
      body += unit;
      if (!reader.advance()) return false;
      while (reader.unit !== unit) {
        body += reader.unit;
        if (!reader.advance()) return false;
      }
    }
    if (depth === 0) {
      out.push(body, reader.line, true);
      out.push(';', reader.line, false);
      return true;
    }
    body += unit;
  }
  return false;
}

/** Reads `set_by_lua_block`'s variable; it ends at the next whitespace. */
function lexLuaArgument(reader: UnitReader, out: TokenColumns): boolean {
  let arg = '';
  while (reader.advance()) {
    if (isSpaceUnit(reader.unit)) {
      if (arg) {
        out.push(arg, reader.line, false);
        return true;
      }
      do {
        if (!reader.advance()) return false;
      } while (isSpaceUnit(reader.unit));
    }
    arg += reader.unit;
  }
  // crossplane goes on to look for the block even when the text ended here
  return true;
}
