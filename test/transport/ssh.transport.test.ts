import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../src/transport/factory.js';
import { LocalTransport } from '../../src/transport/local.transport.js';
import { sh } from '../../src/transport/quote.js';
import type { DeviceRecord } from '../../src/store/records.js';
import { fetchHostKey } from '../../src/transport/ssh/fetch-host-key.js';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh/ssh.transport.js';
import { describeWithSshd, freePort, type RunningSshd, startSshd } from '../helpers/sshd.js';
import { transportBehaviour } from './transport-behaviour.js';

const optionsFor = (d: RunningSshd, extra: Partial<SshTransportOptions> = {}): SshTransportOptions => ({
  host: d.host,
  port: d.port,
  user: d.user,
  identityFile: d.clientKeyPath,
  hostKey: { pinned: d.hostKeyFingerprint },
  ...extra,
});

describeWithSshd('SshTransport against a real sshd', () => {
  describe('behaviour', () => {
    transportBehaviour(async () => {
      const sshd = await startSshd();
      const transport = new SshTransport(optionsFor(sshd));
      return {
        transport,
        cleanup: async () => {
          await transport.close();
          await sshd.stop();
        },
      };
    });
  });

  describe('connection', () => {
    let sshd: RunningSshd;
    beforeAll(async () => {
      sshd = await startSshd();
    });
    afterAll(async () => {
      await sshd?.stop();
    });

    it('harness reports the fingerprint ssh-keyscan sees', () => {
      const scanned = execFileSync('sh', ['-c', `ssh-keyscan -p ${sshd.port} -t ed25519 127.0.0.1 2>/dev/null | ssh-keygen -lf -`], { encoding: 'utf8' });
      expect(scanned).toContain(sshd.hostKeyFingerprint);
    });

    it('learns the presented host key without authenticating', async () => {
      expect(await fetchHostKey(sshd.host, sshd.port, 5000)).toBe(sshd.hostKeyFingerprint);
    });

    it('refuses an unpinned host and names the presented key, unless trusting on first use', async () => {
      const strict = new SshTransport(optionsFor(sshd, { hostKey: { pinned: null } }));
      const error = await strict.run(sh`true`).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CW_ERR_SSH_HOSTKEY_UNKNOWN', details: { presented: sshd.hostKeyFingerprint } });
      await strict.close();
      const tofu = new SshTransport(optionsFor(sshd, { hostKey: { pinned: null, trustOnFirstUse: true } }));
      expect((await tofu.run(sh`echo ok`)).stdout.toString()).toBe('ok\n');
      expect(tofu.presentedHostKey).toBe(sshd.hostKeyFingerprint);
      await tofu.close();
    });

    it('says "authentication failed for user@host:port" for a wrong client key', async () => {
      const other = await startSshd();
      const t = new SshTransport(optionsFor(sshd, { identityFile: other.clientKeyPath }));
      const error = await t.exec(['true']).catch((e: unknown) => e);
      await other.stop();
      expect(error).toMatchObject({ code: 'CW_ERR_SSH_AUTH', message: `authentication failed for ${sshd.user}@127.0.0.1:${sshd.port}` });
      await t.close();
    });

    it('fails with CW_ERR_SSH_CONNECT on a closed port', async () => {
      const port = await freePort();
      const t = new SshTransport(optionsFor(sshd, { port, connectTimeoutMs: 3000 }));
      await expect(t.connect()).rejects.toMatchObject({ code: 'CW_ERR_SSH_CONNECT', message: expect.stringContaining('connection refused') });
      await t.close();
    });

    it('reconnects on the next call after the link dropped, and tells its listeners', async () => {
      const t = new SshTransport(optionsFor(sshd));
      const drops: string[] = [];
      t.onDisconnect((reason) => drops.push(reason));
      expect((await t.run(sh`echo one`)).stdout.toString()).toBe('one\n');
      const file = join(mkdtempSync(join(tmpdir(), 'cw-drop-')), 'f');
      await t.writeFileAtomic(file, Buffer.from('before'));
      const dropped = new Promise<void>((resolve) => t.onDisconnect(() => resolve()));
      sshd.killSessions();
      await dropped;
      expect(drops).toHaveLength(1);
      expect((await t.run(sh`echo two`)).stdout.toString()).toBe('two\n');
      expect((await t.readFile(file)).toString()).toBe('before');
      expect((await t.exec(['echo', 'three'])).stdout.toString()).toBe('three\n');
      await t.close();
    });

    it('connects through a jump host with forwardOut', async () => {
      const target = await startSshd();
      const jump = new SshTransport(optionsFor(sshd));
      const t = new SshTransport(optionsFor(target, { jump }));
      try {
        expect((await t.run(sh`echo via-jump`)).stdout.toString()).toBe('via-jump\n');
        expect(jump.connection.connected).toBe(true);
        expect(t.presentedHostKey).toBe(target.hostKeyFingerprint);
      } finally {
        await t.close();
        await jump.close();
        await target.stop();
      }
    });
  });

  describe('createTransport', () => {
    const device = (name: string, d: RunningSshd | null, jump: string | null = null): DeviceRecord => ({
      name,
      transport: d ? 'ssh' : 'local',
      host: d?.host ?? 'localhost',
      port: d?.port ?? 22,
      user: d?.user ?? 'root',
      identityFile: d?.clientKeyPath ?? null,
      hasPassphrase: false,
      hostKey: d?.hostKeyFingerprint ?? null,
      mode: 'auto',
      pollIntervalSec: null,
      sudo: false,
      jump,
      tags: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });

    it('builds a local transport for a local device and an ssh one (through its jump) otherwise', async () => {
      const bastion = await startSshd();
      const inner = await startSshd();
      const records = new Map([['bastion', device('bastion', bastion)]]);
      const deps = {
        getPassphrase: () => {
          throw new Error('no passphrase expected');
        },
        resolveJump: (name: string) => records.get(name)!,
      };
      const local = await createTransport(device('here', null), deps);
      expect(local).toBeInstanceOf(LocalTransport);
      await local.close();
      const remote = await createTransport(device('inner', inner, 'bastion'), deps);
      try {
        expect(remote.info).toEqual({ kind: 'ssh', target: `${inner.user}@127.0.0.1:${inner.port}` });
        expect((await remote.run(sh`echo through-bastion`)).stdout.toString()).toBe('through-bastion\n');
      } finally {
        await remote.close();
        await bastion.stop();
        await inner.stop();
      }
    });
  });

  describe('host key pinning', () => {
    it('refuses a different host key on the same address (MITM) and names both fingerprints', async () => {
      const real = await startSshd();
      const pinned = real.hostKeyFingerprint;
      const port = real.port;
      const clientKey = real.clientKeyPath;
      const t = new SshTransport({ host: '127.0.0.1', port, user: real.user, identityFile: clientKey, hostKey: { pinned } });
      expect((await t.run(sh`echo real`)).stdout.toString()).toBe('real\n');
      await t.close();
      await real.stop();
      const mitm = await startSshd({ port });
      try {
        const victim = new SshTransport({ host: '127.0.0.1', port, user: mitm.user, identityFile: mitm.clientKeyPath, hostKey: { pinned } });
        const error = await victim.run(sh`echo should-not-run`).catch((e: unknown) => e);
        expect(error).toMatchObject({
          code: 'CW_ERR_SSH_HOSTKEY_MISMATCH',
          details: { expected: pinned, presented: mitm.hostKeyFingerprint },
        });
        expect((error as Error).message).toContain(pinned);
        expect((error as Error).message).toContain(mitm.hostKeyFingerprint);
        await victim.close();
      } finally {
        await mitm.stop();
      }
    });
  });
});
