/**
 * The templates confwatch ships: a SWAG subdomain proxy conf, a compose
 * service and a hardened systemd service unit. Each comes with the JSON
 * Schema of its variables; the schemas keep every value to characters
 * that cannot end a directive or start a new one (no `;`, `{`, newlines,
 * quotes where they would matter), since a value lands in a config file
 * that a service reads as root.
 */
import type { ConfigType } from '../parsers/parser.js';

export interface BuiltinTemplate {
  readonly name: string;
  readonly configType: ConfigType;
  readonly description: string;
  readonly body: string;
  readonly schema: Readonly<Record<string, unknown>>;
}

/** A DNS label: the subdomain SWAG serves the app under, and a container or host name. */
const LABEL = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
const HOST = '^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$';
/** One line, nothing a parser would read as the end of a value. */
const ONE_LINE = '^[^\\n\\r\\u0000]*$';

const SWAG_AUTH = ['none', 'authelia', 'authentik', 'tinyauth', 'basic'] as const;

const swagSubdomain: BuiltinTemplate = {
  name: 'swag-subdomain',
  configType: 'nginx',
  description: 'SWAG proxy conf serving an app at <name>.<your domain>, with optional Authelia, Authentik, Tinyauth or basic auth',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'upstream_app', 'upstream_port'],
    properties: {
      name: { type: 'string', pattern: LABEL, description: 'subdomain (server_name <name>.*)' },
      upstream_app: { type: 'string', pattern: HOST, description: 'container name or host of the app' },
      upstream_port: { type: 'integer', minimum: 1, maximum: 65535 },
      upstream_proto: { type: 'string', enum: ['http', 'https'], default: 'http' },
      auth: { type: 'string', enum: [...SWAG_AUTH], default: 'none' },
      max_body_size: { type: 'string', pattern: '^[0-9]+[kKmMgG]?$', default: '0', description: 'client_max_body_size (0: no limit)' },
    },
  },
  body: `## Rendered by confwatch from template swag-subdomain
# make sure that your {{ upstream_app }} container is reachable by SWAG under that name
# make sure that your dns has a cname set for {{ name }}

server {
    listen 443 ssl;
    listen [::]:443 ssl;

    server_name {{ name }}.*;

    include /config/nginx/ssl.conf;

    client_max_body_size {{ max_body_size }};
{%- if auth == "authelia" %}

    # Authelia (authelia-location.conf in the location block)
    include /config/nginx/authelia-server.conf;
{%- elsif auth == "authentik" %}

    # Authentik (authentik-location.conf in the location block)
    include /config/nginx/authentik-server.conf;
{%- elsif auth == "tinyauth" %}

    # Tinyauth (tinyauth-location.conf in the location block)
    include /config/nginx/tinyauth-server.conf;
{%- endif %}

    location / {
{%- if auth == "basic" %}
        auth_basic "Restricted";
        auth_basic_user_file /config/nginx/.htpasswd;
{%- elsif auth == "authelia" %}
        include /config/nginx/authelia-location.conf;
{%- elsif auth == "authentik" %}
        include /config/nginx/authentik-location.conf;
{%- elsif auth == "tinyauth" %}
        include /config/nginx/tinyauth-location.conf;
{%- endif %}

        include /config/nginx/proxy.conf;
        include /config/nginx/resolver.conf;
        set $upstream_app {{ upstream_app }};
        set $upstream_port {{ upstream_port }};
        set $upstream_proto {{ upstream_proto }};
        proxy_pass $upstream_proto://$upstream_app:$upstream_port;
    }
}
`,
};

const composeService: BuiltinTemplate = {
  name: 'compose-service',
  configType: 'compose',
  description: 'A docker compose file with one service: image, ports, volumes, environment, restart policy',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['service', 'image'],
    properties: {
      service: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$' },
      image: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$' },
      restart: { type: 'string', enum: ['no', 'always', 'on-failure', 'unless-stopped'], default: 'unless-stopped' },
      ports: { type: 'array', items: { type: 'string', pattern: '^([0-9.]+:)?[0-9]{1,5}(:[0-9]{1,5})?(/(tcp|udp))?$' }, default: [] },
      volumes: { type: 'array', items: { type: 'string', pattern: ONE_LINE, minLength: 1 }, default: [] },
      environment: { type: 'object', propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, additionalProperties: { type: ['string', 'number', 'boolean'] }, default: {} },
    },
  },
  // values go through `json`: a JSON string is a YAML scalar, so no value can open a mapping or a new key
  body: `# Rendered by confwatch from template compose-service
services:
  {{ service }}:
    image: {{ image | json }}
    container_name: {{ service }}
    restart: {{ restart | json }}
{%- if ports.size > 0 %}
    ports:
{%- for port in ports %}
      - {{ port | json }}
{%- endfor %}
{%- endif %}
{%- if volumes.size > 0 %}
    volumes:
{%- for volume in volumes %}
      - {{ volume | json }}
{%- endfor %}
{%- endif %}
{%- if environment.size > 0 %}
    environment:
{%- for pair in environment %}
      {{ pair[0] }}: {{ pair[1] | json }}
{%- endfor %}
{%- endif %}
`,
};

const systemdHardened: BuiltinTemplate = {
  name: 'systemd-hardened',
  configType: 'systemd',
  description: 'A systemd service unit with the sandboxing options systemd-analyze security asks for',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['description', 'exec_start'],
    properties: {
      description: { type: 'string', pattern: ONE_LINE, minLength: 1, maxLength: 200 },
      exec_start: { type: 'string', pattern: '^/[^\\n\\r\\u0000]*$', description: 'absolute command line' },
      user: { type: 'string', pattern: '^[a-z_][a-z0-9_-]{0,31}$', default: 'nobody' },
      group: { type: 'string', pattern: '^[a-z_][a-z0-9_-]{0,31}$', default: 'nogroup' },
      restart: { type: 'string', enum: ['no', 'on-failure', 'on-abnormal', 'always'], default: 'on-failure' },
      working_directory: { type: 'string', pattern: '^/[^\\n\\r\\u0000 ]*$', default: '/' },
      read_write_paths: { type: 'array', items: { type: 'string', pattern: '^/[^\\n\\r\\u0000 ]*$' }, default: [] },
      environment: { type: 'object', propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, additionalProperties: { type: 'string', pattern: '^[^\\n\\r\\u0000"\\\\]*$' }, default: {} },
    },
  },
  body: `# Rendered by confwatch from template systemd-hardened
[Unit]
Description={{ description }}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart={{ exec_start }}
User={{ user }}
Group={{ group }}
WorkingDirectory={{ working_directory }}
Restart={{ restart }}
{%- for pair in environment %}
Environment="{{ pair[0] }}={{ pair[1] }}"
{%- endfor %}
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=strict
ProtectHome=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
CapabilityBoundingSet=
AmbientCapabilities=
SystemCallArchitectures=native
SystemCallFilter=@system-service
{%- for path in read_write_paths %}
ReadWritePaths={{ path }}
{%- endfor %}

[Install]
WantedBy=multi-user.target
`,
};

export const BUILTIN_TEMPLATES: readonly BuiltinTemplate[] = [swagSubdomain, composeService, systemdHardened];

export const builtinTemplate = (name: string): BuiltinTemplate | undefined => BUILTIN_TEMPLATES.find((t) => t.name === name);
