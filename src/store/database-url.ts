/** Database URLs as they may be shown to people: never with a password. */

/** The URL with any password replaced by `***`; also for URLs that do not parse. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    // Unparseable: mask whatever sits between "user:" and "@".
    return url.replace(/(\/\/[^/:@]*:)[^@]*@/, '$1***@');
  }
}

/** True for the URL schemes that select PostgreSQL. */
export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);
