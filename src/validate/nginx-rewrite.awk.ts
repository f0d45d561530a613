/**
 * The awk program that prepares one file of the private validation copy
 * for `nginx -t` (run with LC_ALL=C, the file on stdin, the result on
 * stdout; exit 0 when it changed something, 1 when the file can stay as
 * it is). It reads nginx's token syntax (quotes, escapes, comments,
 * statements), so a path cannot hide from it in a quoted or split
 * argument, and:
 *
 * - points every file path (`include`, `root`, `alias`, `ssl_*`, `*_file`)
 *   that names the live tree (`CW_R`), directly or through a container
 *   mapping (`CW_MAPS`), into the copy (`CW_WT`); URIs are left alone;
 * - sends log files to /dev/null and pid, lock, temp and cache paths into
 *   the run directory (`CW_RUN`): validation runs as root on content an
 *   unprivileged user may have written, and must never create or truncate
 *   a file of that user's choosing;
 * - drops `user` (the container's user does not exist on the host), and
 *   the directives that would load or run code (`load_module` outside the
 *   system module directories, `perl_*`, `js_*`, `*lua*`, `ssl_engine`);
 * - lists includes outside the tree (in `CW_SCOPE`) in `CW_EXT` and points
 *   them at `CW_ET` + their path, where the script copies and prepares them
 *   in turn; with `CW_KEEP=1` (inside a container) other paths stay as the
 *   container names them.
 */
export const NGINX_REWRITE_AWK = String.raw`
function within(p, d) { return d == "/" || p == d || substr(p, 1, length(d) + 1) == d "/" }
function norm(p,   n, i, k, out, a, st) {
  n = split(p, a, "/"); k = 0
  for (i = 1; i <= n; i++) {
    if (a[i] == "" || a[i] == ".") continue
    if (a[i] == "..") { if (k > 0) k--; continue }
    st[++k] = a[i]
  }
  out = ""
  for (i = 1; i <= k; i++) out = out "/" st[i]
  return out == "" ? "/" : out
}
function tohost(p,   i, best, bl) {
  best = 0; bl = 0
  for (i = 1; i <= nm; i++) if (within(p, mc[i]) && length(mc[i]) > bl) { best = i; bl = length(mc[i]) }
  return best ? mh[best] "/" substr(p, bl + 1) : p
}
function q(v) { gsub(/\\/, "\\\\", v); gsub(/"/, "\\\"", v); return "\"" v "\"" }
function rep(a, b, t) { nr++; rs[nr] = a; re[nr] = b; rt[nr] = t }
function reset() { argi = 0; name = ""; drop = 0 }
function token(a, b, v,   h, inc) {
  if (argi == 0) {
    name = v; sa = a; argi = 1
    drop = (name in DROP) || name ~ /^(perl|js)_/ || name ~ /lua/
    return
  }
  if (argi == 1 && name == "load_module" && v !~ /^\/usr\/(lib|lib64|local\/lib|share)\/nginx\/modules\/[^\/]+$/) drop = 1
  if (argi == 1 && (name in LOGS)) rep(a, b, q("/dev/null"))
  else if (argi == 1 && (name in RUNS)) { nrun++; rep(a, b, q(RUN "/" name "-" nrun)) }
  else {
    inc = name == "include"
    h = ""
    if (!inc && name !~ /^(root|alias)$|ssl_|_file$/) { argi++; return }
    if (substr(v, 1, 1) == "/") h = norm(tohost(v))
    else if (inc) h = norm(R "/" v)
    if (h != "") {
      if (within(h, R)) rep(a, b, q(WT substr(h, length(R) + 1)))
      else if (inc && within(h, SCOPE)) { print h >> EXT; rep(a, b, q(ET h)) }
      else if (!KEEP && h != v) rep(a, b, q(h))
    }
  }
  argi++
}
BEGIN {
  R = ENVIRON["CW_R"]; WT = ENVIRON["CW_WT"]; ET = ENVIRON["CW_ET"]; RUN = ENVIRON["CW_RUN"]
  SCOPE = ENVIRON["CW_SCOPE"]; KEEP = ENVIRON["CW_KEEP"] == "1"; EXT = ENVIRON["CW_EXT"]
  n = split(ENVIRON["CW_MAPS"], lines, "\n"); nm = 0
  for (i = 1; i <= n; i++) if ((j = index(lines[i], "\t")) > 1) { nm++; mc[nm] = substr(lines[i], 1, j - 1); mh[nm] = substr(lines[i], j + 1) }
  split("error_log access_log ssl_keylog_file", x, " "); for (i in x) LOGS[x[i]] = 1
  split("pid lock_file client_body_temp_path proxy_temp_path fastcgi_temp_path uwsgi_temp_path scgi_temp_path proxy_cache_path fastcgi_cache_path uwsgi_cache_path scgi_cache_path google_perftools_profiles", x, " ")
  for (i in x) RUNS[x[i]] = 1
  split("user ssl_engine", x, " "); for (i in x) DROP[x[i]] = 1
}
{ s = NR == 1 ? $0 : s "\n" $0 }
END {
  n = length(s); i = 1; reset()
  while (i <= n) {
    c = substr(s, i, 1)
    if (c == " " || c == "\t" || c == "\n" || c == "\r") { i++; continue }
    if (c == "#") { j = index(substr(s, i), "\n"); if (j == 0) break; i += j; continue }
    if (c == ";") {
      if (drop && argi > 0) { while (nr > 0 && rs[nr] >= sa) nr--; rep(sa, i, "") }
      reset(); i++; continue
    }
    if (c == "{" || c == "}") { reset(); i++; continue }
    if (c == "\"" || c == "'") {
      j = i + 1; v = ""
      while (j <= n) {
        d = substr(s, j, 1)
        if (d == "\\" && j < n) { e = substr(s, j + 1, 1); v = v (e == "\"" || e == "'" || e == "\\" ? e : d e); j += 2; continue }
        if (d == c) break
        v = v d; j++
      }
      token(i, j, v); i = j + 1; continue
    }
    j = i; v = ""
    while (j <= n) {
      d = substr(s, j, 1)
      if (d == "\\" && j < n) { e = substr(s, j + 1, 1); v = v (e == "\"" || e == "'" || e == "\\" ? e : d e); j += 2; continue }
      if (d == " " || d == "\t" || d == "\n" || d == "\r" || d == ";" || (d == "{" && substr(s, j - 1, 1) != "$") || d == "}") break
      v = v d; j++
    }
    token(i, j - 1, v); i = j
  }
  if (nr == 0) exit 1
  p = 1
  for (k = 1; k <= nr; k++) { printf "%s%s", substr(s, p, rs[k] - p), rt[k]; p = re[k] + 1 }
  printf "%s\n", substr(s, p)
  exit 0
}
`;
