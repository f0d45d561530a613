/**
 * The session cookie: httpOnly, SameSite=Strict, scoped to /api, Secure
 * when the server is told it sits behind HTTPS. Parsed by hand because only
 * this one cookie matters.
 */

export const SESSION_COOKIE = 'cw_session';

/** The value of the session cookie in a Cookie header, if any. */
export function readSessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** A Set-Cookie value for the session; `maxAgeSec` 0 clears it. */
export function sessionCookie(value: string, maxAgeSec: number, secure: boolean): string {
  const attributes = [`${SESSION_COOKIE}=${encodeURIComponent(value)}`, 'Path=/api', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSec}`];
  if (secure) attributes.push('Secure');
  return attributes.join('; ');
}
