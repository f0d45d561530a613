/**
 * Host-key fingerprints as OpenSSH prints them (`ssh-keygen -l -E sha256`):
 * `SHA256:` + unpadded base64 of the SHA-256 of the public key blob.
 */
import { createHash } from 'node:crypto';

export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** True when the text looks like a SHA256 fingerprint (43 base64 characters). */
export const isSshFingerprint = (text: string): boolean => /^SHA256:[A-Za-z0-9+/]{43}$/.test(text);

/** How a connection decides whether to trust the key a host presents. */
export interface HostKeyPolicy {
  /** The pinned `SHA256:…` fingerprint; null when none is stored yet. */
  readonly pinned: string | null;
  /** Accept an unpinned host's key (device add --trust-host-key). Default false. */
  readonly trustOnFirstUse?: boolean;
}

export type HostKeyVerdict =
  | { readonly ok: true; readonly presented: string }
  | { readonly ok: false; readonly presented: string; readonly reason: 'mismatch' | 'unknown' };

/** Judges a presented key blob against the policy. */
export function judgeHostKey(policy: HostKeyPolicy, keyBlob: Buffer): HostKeyVerdict {
  const presented = sshFingerprint(keyBlob);
  if (policy.pinned === null) return policy.trustOnFirstUse ? { ok: true, presented } : { ok: false, presented, reason: 'unknown' };
  return policy.pinned === presented ? { ok: true, presented } : { ok: false, presented, reason: 'mismatch' };
}
