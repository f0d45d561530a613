/**
 * `nginx -t` in context for one candidate file, in one script:
 *
 * 1. the nginx root (the directory holding `nginx.conf`) is copied into a
 *    private temp directory, the candidate swapped in; symlinks become
 *    copies of the regular files they lead to (or vanish), so nothing in
 *    the copy leads back into a directory someone else can write;
 * 2. every file is prepared by NGINX_REWRITE_AWK (paths into the copy,
 *    through container mappings; logs, pid and temp paths neutralised;
 *    `user` and code-loading directives dropped); includes outside the tree
 *    are copied in and prepared the same way, a few rounds deep;
 * 3. `nginx -T` runs on the copy: on the host, or — for a tree a container
 *    mounts, when `docker` is on the host and a running container mounts
 *    it — inside that container (`docker exec`), the copy then living in a
 *    private directory inside the mount;
 * 4. the dump says whether the candidate was read at all: a file no
 *    `nginx.conf` includes is "out of context" (exit OUT_OF_CONTEXT), not
 *    valid and not invalid.
 */
import { raw, type ShellScript, sh } from '../transport/quote.js';
import { toHostPath, type PathMapping } from '../transport/path-mapping.js';
import { isBinaryPath, remoteDirname, type RemotePath, remotePathToBytes } from '../transport/remote-path.js';
import { NGINX_REWRITE_AWK } from './nginx-rewrite.awk.js';

/** Exit status for "nginx is not installed here". */
export const TOOL_MISSING = 127;
/** Exit status for "no nginx.conf on this device includes the file". */
export const OUT_OF_CONTEXT = 86;
/** The one-line reason given with OUT_OF_CONTEXT. */
export const NOT_INCLUDED = 'no nginx.conf on this device includes it';
/** Files larger than this are not copied into the validation tree. */
const MAX_COPY_BYTES = 1024 * 1024;
/** Rounds of "copy the files outside the tree that the copy includes". */
const EXTERNAL_ROUNDS = 6;
/** Files copied from outside the tree, at most. */
const MAX_EXTERNAL_FILES = 2000;
/** Name prefix of every validation temp directory. */
export const TEMP_PREFIX = 'confwatch-validate.';

export interface NginxValidationInput {
  /** The candidate's path on the host. */
  readonly path: RemotePath;
  /** Container path mappings of the device and the file's profile. */
  readonly mappings?: readonly PathMapping[];
}

/**
 * The directory holding nginx.conf for a file in the tree: the deepest
 * ancestor named `nginx` (`/etc/nginx`, `/config/nginx`), else the file's dir.
 */
export function nginxRoot(path: RemotePath): RemotePath {
  if (isBinaryPath(path)) return remoteDirname(path);
  const parts = path.split('/');
  for (let i = parts.length - 2; i > 0; i--) if (parts[i] === 'nginx') return parts.slice(0, i + 1).join('/');
  return remoteDirname(path);
}

/**
 * The mapping that mounts the file's tree into a container: the one whose
 * host directory holds the nginx root (SWAG: `/config` → the SWAG root).
 */
export function containerMountOf(path: RemotePath, mappings: readonly PathMapping[]): PathMapping | undefined {
  const root = nginxRoot(path);
  return mappings.find((m) => m.host !== '/' && (root === m.host || root.startsWith(`${m.host}/`)) && toHostPath(m.container, [m]) === m.host);
}

/**
 * Prepares every file named in "$@" (inside the temp dir) with the awk
 * program; run through `find -exec` so no file name is ever split. A file
 * too large to read safely marks the whole validation as out of context.
 */
const PREPARE_FILES = `for f in "$@"; do
  [ -f "$f" ] && [ ! -L "$f" ] || continue
  if [ "$(wc -c < "$f")" -gt ${MAX_COPY_BYTES} ]; then printf '%s\\n' "\${f##*/}" > "$t/too-large"; continue; fi
  if LC_ALL=C awk "$CW_AWK" < "$f" > "$t/prep.tmp"; then cat "$t/prep.tmp" > "$f"; fi
done`;

/** Replaces each link in "$@" by a copy of the regular file it leads to (seen from the live tree), or removes it. */
const UNLINK_FILES = `for l in "$@"; do
  x=$(readlink -f -- "$r/\${l#"$w"/}" 2>/dev/null) || x=
  rm -f -- "$l"
  [ -n "$x" ] || continue
  case "$x" in "$r"/*) s="$w/\${x#"$r"/}";; *) s="$x";; esac
  if [ -f "$s" ] && [ ! -L "$s" ]; then
    head -c ${MAX_COPY_BYTES} -- "$s" > "$l"
    [ "$x" = "$r/$rel" ] && printf '%s\\n' "$wt/\${l#"$w"/}" >> "$t/aliases"
  fi
done`;

/**
 * Copies the tree (`$r`) into `$w`, writes the candidate (stdin) at `$rel`,
 * replaces links by copies of their regular targets, prepares every file,
 * then copies and prepares included files from outside the tree.
 * Expects `t r w wt rel` and the CW_* variables exported.
 */
const buildCopy = sh`mkdir "$w" "$t/run" "$t/x" || exit 1
cp -a "$r"/. "$w"/ 2>/dev/null || cp -R "$r"/. "$w"/ || exit 1
rm -f -- "$w/$rel"; mkdir -p -- "$(dirname -- "$w/$rel")" && cat > "$w/$rel" || exit 1
: > "$t/aliases"
find "$w" -type l -exec sh -c ${Buffer.from(UNLINK_FILES)} sh {} +
export CW_PREP=${Buffer.from(PREPARE_FILES)}
find "$w" -type f -exec sh -c "$CW_PREP" sh {} +
i=0; n=0
while [ -s "$CW_EXT" ] && [ $i -lt ${EXTERNAL_ROUNDS} ]; do
  i=$((i + 1)); mv "$CW_EXT" "$t/ext.$i"
  while IFS= read -r p; do
    IFS='
'
    for f in $p; do
      [ -f "$f" ] || continue
      d="$t/x$f"; [ -e "$d" ] && continue
      n=$((n + 1)); [ $n -le ${MAX_EXTERNAL_FILES} ] || break 2
      mkdir -p -- "$(dirname -- "$d")" && head -c ${MAX_COPY_BYTES} -- "$f" > "$d" && sh -c "$CW_PREP" sh "$d"
    done
    unset IFS
  done < "$t/ext.$i"
done
[ ! -s "$t/too-large" ] || { echo "$(cat "$t/too-large"): too large to validate safely"; exit ${OUT_OF_CONTEXT}; }
`;

/** Runs `nginx -T` (`run_nginx`) on the copy seen as `$wt`; decides valid / invalid / out of context. */
const judge = sh`[ -f "$w/nginx.conf" ] || { echo ${`${NOT_INCLUDED} (there is no nginx.conf in its directory tree)`}; exit ${OUT_OF_CONTEXT}; }
run_nginx -T -c "$wt/nginx.conf" -p "$wt/" > "$t/dump" 2> "$t/err"; s=$?
[ $s -eq 0 ] || { cat "$t/err"; exit 1; }
{ printf '%s\\n' "$wt/$rel"; cat "$t/aliases"; } | while IFS= read -r a; do
  grep -qxF "# configuration file $a:" "$t/dump" && echo included
done | grep -q included || { echo ${NOT_INCLUDED}; exit ${OUT_OF_CONTEXT}; }
cat "$t/err"
`;

/**
 * The whole validation script; the candidate comes on stdin. On the host
 * when no container mounts the tree or docker is missing; in the container
 * otherwise (`docker exec`), with the container named by `container` or
 * found among `docker ps` by its mount.
 */
export function nginxValidationScript(input: NginxValidationInput, container?: string | null): ShellScript {
  const root = nginxRoot(input.path);
  const rel = remotePathToBytes(input.path).subarray(remotePathToBytes(root).length + 1);
  const mappings = input.mappings ?? [];
  const maps = Buffer.from(mappings.map((m) => `${m.container}\t${m.host}`).join('\n'));
  const mount = containerMountOf(input.path, mappings);
  const common = sh`r=${root}; rel=${rel}
[ "$r" != / ] || { echo ${`${NOT_INCLUDED} (it is not inside an nginx directory)`}; exit ${OUT_OF_CONTEXT}; }
export r rel CW_R=${root} CW_AWK=${Buffer.from(NGINX_REWRITE_AWK)} CW_MAPS=${maps}
`;
  const onHost = sh`command -v nginx >/dev/null 2>&1 || { echo 'nginx: not installed on this host'; exit ${TOOL_MISSING}; }
t=$(mktemp -d "\${TMPDIR:-/tmp}/${raw(TEMP_PREFIX)}XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT HUP INT TERM
w="$t/c"; wt="$w"
run_nginx() { nginx "$@"; }
export t w wt CW_WT="$w" CW_ET="$t/x" CW_RUN="$t/run" CW_SCOPE=/ CW_KEEP=0 CW_EXT="$t/ext"
${buildCopy}${judge}`;
  if (!mount) return sh`${common}${onHost}`;
  return sh`${common}c=
if command -v docker >/dev/null 2>&1; then
  ${findContainer(mount, container ?? null)}
fi
if [ -z "$c" ]; then
${onHost}else
${inContainer(mount)}fi
`;
}

/**
 * Sets `$c` to a running container that mounts `mount.host` at
 * `mount.container`: the one named first (from the compose file), else the
 * first `docker ps` lists with that mount.
 */
export function findContainer(mount: PathMapping, named: string | null): ShellScript {
  const want = `${mount.host}|${mount.container}`;
  const mounts = raw(`'{{range .Mounts}}{{.Source}}|{{.Destination}}{{"\\n"}}{{end}}'`);
  return sh`for n in ${named ? [named] : []} $(docker ps --format '{{.Names}}' 2>/dev/null); do
    if docker inspect -f ${mounts} "$n" 2>/dev/null | grep -qxF ${want}; then c=$n; break; fi
  done`;
}

/**
 * `nginx -T` inside container `$c`, on a private copy made inside the
 * mounted directory (so the container sees it at the container path).
 */
export function inContainer(mount: PathMapping): ShellScript {
  return sh`t=$(mktemp -d ${mount.host}/.${raw(TEMP_PREFIX)}XXXXXX) || exit 1
trap 'rm -rf "$t"' EXIT HUP INT TERM
ct=${mount.container}"\${t#${mount.host}}"
w="$t/c"; wt="$ct/c"
run_nginx() { docker exec "$c" nginx "$@"; }
export t w wt CW_WT="$wt" CW_ET="$ct/x" CW_RUN="$ct/run" CW_SCOPE=${mount.host} CW_KEEP=1 CW_EXT="$t/ext"
${buildCopy}${judge}`;
}
