import { describe, expect, it } from 'vitest';
import { mappingsFor, parsePathMapping, toHostPath } from './path-mapping.js';

describe('container path mappings', () => {
  it('parses CONTAINER=HOST and refuses anything but two absolute paths', () => {
    expect(parsePathMapping('/config=/srv/swag/')).toEqual({ container: '/config', host: '/srv/swag' });
    for (const bad of ['config=/srv', '/config=srv', '/config', '=/srv', '/a/../b=/srv', '/config=-delete']) {
      expect(() => parsePathMapping(bad), bad).toThrow(/must be CONTAINER_PATH=HOST_PATH/);
    }
  });

  it('maps the longest container prefix, preferring the mapping that holds the naming file', () => {
    const mappings = [
      { container: '/config', host: '/srv/radarr' },
      { container: '/config', host: '/srv/swag' },
      { container: '/config/nginx', host: '/opt/nginx' },
    ];
    expect(toHostPath('/config/nginx/ssl.conf', mappings)).toBe('/opt/nginx/ssl.conf');
    expect(toHostPath('/config/keys/cert.crt', mappings, '/srv/swag/nginx/proxy-confs/a.conf')).toBe('/srv/swag/keys/cert.crt');
    expect(toHostPath('/config/keys/cert.crt', mappings)).toBe('/srv/radarr/keys/cert.crt');
    expect(toHostPath('/configs/x', mappings)).toBe('/configs/x');
    expect(toHostPath('/etc/nginx/mime.types', mappings)).toBe('/etc/nginx/mime.types');
  });
});

describe('mappingsFor', () => {
  it("puts the device's own mappings first, then each profile's, once each", () => {
    const swag = { container: '/config', host: '/srv/swag' };
    const web = { container: '/etc/nginx', host: '/srv/web/nginx' };
    expect(mappingsFor({ pathMappings: [web] }, [{ pathMappings: [swag] }, {}, { pathMappings: [swag, web] }])).toEqual([web, swag]);
    expect(mappingsFor({}, [])).toEqual([]);
  });
});
