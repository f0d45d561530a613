/**
 * Device management shared by the CLI and the API: add (with host-key
 * pinning), list, show, remove, import, trust and check. A check connects
 * through the device registry, so it exercises exactly what monitoring uses;
 * list and show add the live state the registry keeps.
 */
import { readFileSync } from 'node:fs';
import type { ImportedHost } from '../config/import/imported-host.js';
import { parseImportFile } from '../config/import/read-import-file.js';
import { assertValidName } from '../config/names.js';
import type { DeviceLiveState, DeviceRegistry } from '../devices/device-registry.js';
import { resolveProfiles } from '../devices/profiles.js';
import { ConfwatchError, toConfwatchError } from '../errors.js';
import type { ConfigType } from '../parsers/parser.js';
import type { DeviceMode, DeviceRecord, ProfileRecord } from '../store/records.js';
import type { NewDevice, SnapshotStore } from '../store/snapshot-store.js';
import { type Capabilities, chooseMode, probeCapabilities } from '../transport/probe.js';
import { fetchHostKey } from '../transport/ssh/fetch-host-key.js';
import { type PathMapping, parsePathMapping, uniqueMappings } from '../transport/path-mapping.js';
import type { Transport } from '../transport/transport.js';

export interface AddDeviceInput {
  readonly name: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly identityFile?: string;
  readonly passphrase?: string;
  readonly local?: boolean;
  readonly mode?: DeviceMode;
  readonly pollIntervalSec?: number;
  readonly profiles?: readonly string[];
  readonly watch?: readonly string[];
  readonly exclude?: readonly string[];
  readonly type?: ConfigType;
  readonly sudo?: boolean;
  readonly jump?: string;
  readonly tags?: readonly string[];
  /** Pin this fingerprint (`SHA256:…`). */
  readonly hostKey?: string;
  /** Trust whatever key the host presents now (TOFU). */
  readonly trustHostKey?: boolean;
  /** Validate every captured version with the real tool, in the background. */
  readonly validateOnCapture?: boolean;
  /** Container paths and the host directories behind them, as `CONTAINER=HOST` (`--map /config=/srv/swag`). */
  readonly maps?: readonly string[];
  /** Refuse write-back when validation cannot run in context (profile option `requireValidation`). */
  readonly requireValidation?: boolean;
  /** Store the device without a pin (imports); it cannot connect until `device trust`. */
  readonly deferHostKey?: boolean;
  /** Bytes of file contents the device's history may hold (`--quota`); default 2 GiB. */
  readonly storageQuotaBytes?: number;
}

/** A quota is a positive whole number of bytes, and one a database column holds exactly. */
function assertQuota(bytes: number): void {
  if (!(Number.isSafeInteger(bytes) && bytes > 0)) throw new ConfwatchError('CW_ERR_USAGE', `--quota must be a positive number of bytes, got ${bytes}`);
}

export interface DeviceCheck {
  readonly name: string;
  readonly reachable: boolean;
  readonly hostKey: string | null;
  readonly capabilities: Capabilities | null;
  readonly mode: 'realtime' | 'polling' | null;
  readonly modeReason?: string;
  readonly error?: { code: string; message: string };
}

/** A device record with its live state (connection, watch mode, counts). */
export type LiveDevice = DeviceRecord & { readonly live: DeviceLiveState };

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
const CONNECT_TIMEOUT_MS = 10_000;

export class DeviceService {
  readonly #store: SnapshotStore;
  readonly #registry: DeviceRegistry;

  constructor(store: SnapshotStore, registry: DeviceRegistry) {
    this.#store = store;
    this.#registry = registry;
  }

  async add(input: AddDeviceInput): Promise<{ device: DeviceRecord; profiles: ProfileRecord[] }> {
    const name = assertValidName(input.name);
    if (await this.#store.getDevice(name)) {
      throw new ConfwatchError('CW_ERR_ALREADY_EXISTS', `device "${name}" already exists; remove it first or pick another name`);
    }
    const local = input.local === true;
    if (!local && !input.host) throw new ConfwatchError('CW_ERR_USAGE', 'give --host H for an SSH device, or --local for this machine');
    if (input.port !== undefined && !(Number.isInteger(input.port) && input.port > 0 && input.port < 65536)) {
      throw new ConfwatchError('CW_ERR_USAGE', `--port must be 1–65535, got ${input.port}`);
    }
    if (input.pollIntervalSec !== undefined && !(input.pollIntervalSec >= 5)) {
      throw new ConfwatchError('CW_ERR_USAGE', '--poll-interval must be at least 5 seconds');
    }
    if (input.storageQuotaBytes !== undefined) assertQuota(input.storageQuotaBytes);
    if (input.jump) {
      assertValidName(input.jump, 'jump device name');
      if (!(await this.#store.getDevice(input.jump))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `jump device "${input.jump}" does not exist; add it first`);
    }
    let profiles: ProfileRecord[];
    let pathMappings: PathMapping[];
    try {
      profiles = resolveProfiles(name, {
        profiles: input.profiles ?? [],
        watch: input.watch ?? [],
        exclude: input.exclude ?? [],
        ...(input.type ? { type: input.type } : {}),
        ...(input.pollIntervalSec ? { pollIntervalSec: input.pollIntervalSec } : {}),
        ...(input.requireValidation ? { requireValidation: true } : {}),
      });
      pathMappings = uniqueMappings((input.maps ?? []).map(parsePathMapping));
    } catch (error) {
      throw new ConfwatchError('CW_ERR_USAGE', (error as Error).message);
    }
    if (profiles.length === 0) throw new ConfwatchError('CW_ERR_USAGE', 'give at least one --profile P or --watch GLOB');
    if (input.validateOnCapture) profiles = profiles.map((p) => ({ ...p, validateOnCapture: true }));

    const host = local ? 'localhost' : (input.host as string);
    const port = input.port ?? 22;
    const user = input.user ?? (local ? (process.env.USER ?? 'root') : 'root');
    let hostKey: string | null = null;
    if (!local) {
      if (input.hostKey) {
        if (!FINGERPRINT.test(input.hostKey)) {
          throw new ConfwatchError('CW_ERR_USAGE', `--host-key must look like SHA256:<43 base64 characters> (as ssh-keygen -lf prints), got "${input.hostKey}"`);
        }
        hostKey = input.hostKey;
      } else if (input.trustHostKey) {
        hostKey = await this.#presentedKey(host, port, input.jump);
      } else if (!input.deferHostKey) {
        throw new ConfwatchError(
          'CW_ERR_USAGE',
          `no host key for ${host}:${port}: pass --host-key SHA256:… (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host) or --trust-host-key to trust the key it presents now`,
        );
      }
    }
    const record: NewDevice = {
      name,
      transport: local ? 'local' : 'ssh',
      host,
      port,
      user,
      identityFile: input.identityFile ?? null,
      passphrase: input.passphrase ?? null,
      hostKey,
      mode: input.mode ?? 'auto',
      pollIntervalSec: input.pollIntervalSec ?? null,
      sudo: input.sudo === true,
      jump: input.jump ?? null,
      tags: [...(input.tags ?? [])],
      pathMappings,
      storageQuotaBytes: input.storageQuotaBytes ?? null,
    };
    const device = await this.#store.addDevice(record, profiles);
    return { device, profiles };
  }

  async list(): Promise<LiveDevice[]> {
    const entries = await this.#registry.list();
    return Promise.all(entries.map(async ({ device }) => ({ ...device, live: await this.#registry.live(device.name) })));
  }

  async get(name: string): Promise<DeviceRecord> {
    return (await this.#registry.get(name)).device;
  }

  async show(name: string): Promise<{ device: LiveDevice; profiles: ProfileRecord[] }> {
    const { device, profiles } = await this.#registry.get(name);
    return { device: { ...device, live: await this.#registry.live(name) }, profiles: [...profiles] };
  }

  async remove(name: string): Promise<void> {
    await this.get(name);
    const dependants = (await this.#store.listDevices()).filter((d) => d.jump === name).map((d) => d.name);
    if (dependants.length > 0) {
      throw new ConfwatchError('CW_ERR_USAGE', `device "${name}" is the jump host of ${dependants.join(', ')}; remove those first`);
    }
    await this.#store.removeDevice(name);
  }

  /**
   * Sets the device's storage quota (null: back to the default). A running
   * monitor picks it up when it reloads the device (the devices revision moves).
   */
  async setQuota(name: string, bytes: number | null): Promise<DeviceRecord> {
    await this.get(name);
    if (bytes !== null) assertQuota(bytes);
    await this.#store.updateDevice(name, { storageQuotaBytes: bytes });
    return this.get(name);
  }

  /** Pins a new host key: the given one, or the one the host presents now. */
  async trust(name: string, hostKey?: string): Promise<DeviceRecord> {
    const device = await this.get(name);
    if (device.transport === 'local') throw new ConfwatchError('CW_ERR_USAGE', `device "${name}" is local and has no host key`);
    if (hostKey !== undefined && !FINGERPRINT.test(hostKey)) throw new ConfwatchError('CW_ERR_USAGE', `invalid fingerprint "${hostKey}"`);
    const key = hostKey ?? (await this.#presentedKey(device.host, device.port, device.jump ?? undefined));
    await this.#store.updateDevice(name, { hostKey: key });
    return this.get(name);
  }

  /**
   * Imports every host of an ssh config or Ansible inventory. All hosts are
   * checked before any is stored, so a bad file imports nothing.
   */
  async import(
    file: string,
    options: { profiles?: readonly string[]; watch?: readonly string[]; trustHostKeys?: boolean } = {},
  ): Promise<{ added: DeviceRecord[]; skipped: { name: string; reason: string }[]; warnings: string[] }> {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfwatchError('CW_ERR_INPUT', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const parsed = parseImportFile(text, file);
    const existing = new Set((await this.#store.listDevices()).map((d) => d.name));
    const skipped: { name: string; reason: string }[] = [];
    const fresh: ImportedHost[] = [];
    for (const host of parsed.hosts) {
      if (existing.has(host.name)) skipped.push({ name: host.name, reason: 'already exists' });
      else fresh.push(host);
    }
    const profiles = options.profiles?.length || options.watch?.length ? options : { profiles: ['sshd'] };
    // Jump hosts first, so each ProxyJump names a device that exists.
    const ordered = [...fresh].sort((a, b) => Number(Boolean(a.jump)) - Number(Boolean(b.jump)));
    const known = new Set([...existing, ...fresh.map((h) => h.name)]);
    for (const host of ordered) {
      if (host.jump && !known.has(host.jump)) {
        throw new ConfwatchError('CW_ERR_INPUT', `${file}:${host.line}: ProxyJump "${host.jump}" of "${host.name}" is neither in the file nor a device`);
      }
    }
    const added: DeviceRecord[] = [];
    for (const host of ordered) {
      const { device } = await this.add({
        name: host.name,
        host: host.host,
        ...(host.port ? { port: host.port } : {}),
        ...(host.user ? { user: host.user } : {}),
        ...(host.identityFile ? { identityFile: expandHome(host.identityFile) } : {}),
        ...(host.jump ? { jump: host.jump } : {}),
        tags: host.tags,
        ...(profiles.profiles ? { profiles: profiles.profiles } : {}),
        ...(profiles.watch ? { watch: profiles.watch } : {}),
        ...(options.trustHostKeys ? { trustHostKey: true } : { deferHostKey: true }),
      }).catch(async (error) => {
        // Undo this import's earlier additions: nothing is half-imported.
        for (const d of added.reverse()) await this.#store.removeDevice(d.name);
        throw error;
      });
      added.push(device);
    }
    return { added, skipped, warnings: parsed.warnings };
  }

  /** Connects, reads the host key, probes capabilities and the mode `auto` would choose. */
  async check(name: string): Promise<DeviceCheck> {
    const device = await this.get(name);
    let transport: Transport | undefined;
    try {
      transport = await this.#registry.acquire(device.name);
      const capabilities = await probeCapabilities(transport);
      const choice = chooseMode(capabilities, device.mode);
      return { name, reachable: true, hostKey: device.hostKey, capabilities, mode: choice.mode, modeReason: choice.reason };
    } catch (error) {
      const e = toConfwatchError(error, 'CW_ERR_SSH_CONNECT');
      const presented = (e.details?.presented as string | undefined) ?? null;
      return { name, reachable: false, hostKey: presented ?? device.hostKey, capabilities: null, mode: null, error: { code: e.code, message: e.message } };
    } finally {
      await transport?.close();
    }
  }

  async #presentedKey(host: string, port: number, jump: string | undefined): Promise<string> {
    if (jump) {
      throw new ConfwatchError('CW_ERR_USAGE', 'with --jump, give the target\'s --host-key SHA256:… (it cannot be trusted on first use through a jump host)');
    }
    return fetchHostKey(host, port, CONNECT_TIMEOUT_MS);
  }
}

function expandHome(path: string): string {
  return path.startsWith('~/') ? `${process.env.HOME ?? ''}/${path.slice(2)}` : path;
}
