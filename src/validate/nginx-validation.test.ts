import { describe, expect, it } from 'vitest';
import { containerMountOf, findContainer, inContainer, nginxRoot, nginxValidationScript } from './nginx-validation.js';

const swag = { container: '/config', host: "/srv/it's swag" };
const text = (script: { bytes: Buffer }) => script.bytes.toString('utf8');

describe('nginx validation scripts', () => {
  it('finds the nginx root and the container mount of a SWAG file', () => {
    expect(nginxRoot("/srv/it's swag/nginx/proxy-confs/a.conf")).toBe("/srv/it's swag/nginx");
    expect(nginxRoot('/srv/frags/a.conf')).toBe('/srv/frags');
    expect(containerMountOf("/srv/it's swag/nginx/proxy-confs/a.conf", [swag])).toEqual(swag);
    expect(containerMountOf('/etc/nginx/nginx.conf', [swag])).toBeUndefined();
  });

  it('runs nginx inside the container that mounts the tree, every value quoted', () => {
    const find = text(findContainer(swag, 'swag; rm -rf /'));
    expect(find).toContain("for n in 'swag; rm -rf /' $(docker ps --format '{{.Names}}' 2>/dev/null); do");
    expect(find).toContain(`docker inspect -f '{{range .Mounts}}{{.Source}}|{{.Destination}}{{"\\n"}}{{end}}' "$n" 2>/dev/null | grep -qxF '/srv/it'\\''s swag|/config'`);
    const run = text(inContainer(swag));
    expect(run).toContain("t=$(mktemp -d '/srv/it'\\''s swag'/.confwatch-validate.XXXXXX) || exit 1");
    expect(run).toContain(`ct='/config'"\${t#'/srv/it'\\''s swag'}"`);
    expect(run).toContain('run_nginx() { docker exec "$c" nginx "$@"; }');
    expect(run).toContain('run_nginx -T -c "$wt/nginx.conf" -p "$wt/"');
    expect(run).toContain('CW_KEEP=1');
  });

  it('falls back to the host nginx when no container mounts the tree', () => {
    const script = text(nginxValidationScript({ path: "/srv/it's swag/nginx/proxy-confs/a.conf", mappings: [swag] }));
    expect(script).toContain('if command -v docker >/dev/null 2>&1; then');
    expect(script).toContain('if [ -z "$c" ]; then');
    expect(script).toContain('run_nginx() { nginx "$@"; }');
    const plain = text(nginxValidationScript({ path: '/etc/nginx/conf.d/a.conf' }));
    expect(plain).not.toContain('docker');
  });
});
