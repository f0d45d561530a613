/**
 * The embedded default (`npm start` / `confwatch serve --embedded`): a
 * confwatch home on first run, and this host as the `local` device with
 * the built-in profiles whose files exist here.
 */
import { existsSync } from 'node:fs';
import type { DeviceRecord, ProfileRecord } from '../store/records.js';
import type { Services } from './services.js';

export const LOCAL_DEVICE = 'local';

/** Where each built-in profile's files live on a typical host. */
const PROFILE_MARKERS: readonly { profile: string; paths: readonly string[] }[] = [
  { profile: 'swag', paths: ['/config/nginx/proxy-confs', '/config/nginx/site-confs'] },
  { profile: 'nginx', paths: ['/etc/nginx'] },
  { profile: 'compose', paths: ['/opt/stacks', '/srv'] },
  { profile: 'systemd', paths: ['/etc/systemd/system'] },
  { profile: 'sshd', paths: ['/etc/ssh/sshd_config'] },
];

/** Built-in profiles that have something to watch on this machine. */
export function localProfiles(exists: (path: string) => boolean = existsSync): string[] {
  return PROFILE_MARKERS.filter((m) => m.paths.some(exists)).map((m) => m.profile);
}

export interface EmbeddedDevice {
  readonly device: DeviceRecord;
  readonly profiles: ProfileRecord[];
  /** True when this call added it. */
  readonly created: boolean;
}

/**
 * Adds the `local` device unless it (or any device) exists already: a user
 * who configured devices of their own keeps exactly those.
 */
export async function ensureLocalDevice(services: Pick<Services, 'devices' | 'store'>): Promise<EmbeddedDevice | undefined> {
  const existing = await services.store.getDevice(LOCAL_DEVICE);
  if (existing) return { device: existing, profiles: await services.store.listProfiles(LOCAL_DEVICE), created: false };
  if ((await services.devices.list()).length > 0) return undefined;
  const profiles = localProfiles();
  const added = await services.devices.add({
    name: LOCAL_DEVICE,
    local: true,
    ...(profiles.length > 0 ? { profiles } : { watch: ['/etc/**/*.conf'] }),
  });
  return { ...added, created: true };
}
