/** POSIX path helpers with Python's `os.path`/`glob` semantics, as crossplane resolves includes. */

/** `os.path.dirname`: everything before the last `/`, trailing slashes trimmed. */
export function dirname(path: string): string {
  const head = path.slice(0, path.lastIndexOf('/') + 1);
  return /^\/*$/.test(head) ? head : head.replace(/\/+$/, '');
}

/** `os.path.join(dir, name)`: an absolute name wins; an empty dir adds nothing. */
export function joinPath(dir: string, name: string): string {
  if (name.startsWith('/') || dir === '') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** `glob.has_magic`: the pattern contains `*`, `?` or `[`. */
export function hasGlobMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** Python's `repr()` of a plain string, as in `No such file or directory: 'x'`. */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}
