import { z } from 'zod';
import { CONFIG_TYPES } from '../../parsers/parser.js';
import { nameSchema } from './common.schema.js';

const pathMappingSchema = z.object({ container: z.string(), host: z.string() });

/** What a running monitor in this process knows of the device, and its tracked-file counts (device registry). */
export const liveSchema = z.object({
  connected: z.boolean(),
  watchMode: z.enum(['realtime', 'polling', 'degraded']).nullable(),
  watchModeReason: z.string().nullable(),
  watchModeSince: z.string().nullable(),
  lastChangeAt: z.string().nullable(),
  files: z.number(),
  drifted: z.number(),
  invalid: z.number(),
});

export const deviceSchema = z.object({
  name: z.string(),
  transport: z.enum(['ssh', 'local']),
  host: z.string(),
  port: z.number(),
  user: z.string(),
  identityFile: z.string().nullable(),
  hasPassphrase: z.boolean(),
  hostKey: z.string().nullable(),
  mode: z.enum(['auto', 'realtime', 'polling']),
  pollIntervalSec: z.number().nullable(),
  sudo: z.boolean(),
  jump: z.string().nullable(),
  tags: z.array(z.string()).readonly(),
  pathMappings: z.array(pathMappingSchema).readonly().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Present on list and show; absent on the record `POST /api/devices` returns. */
  live: liveSchema.optional(),
});

export const profileSchema = z.object({
  name: z.string(),
  configType: z.enum(CONFIG_TYPES).nullable(),
  paths: z.array(z.string()).readonly(),
  exclude: z.array(z.string()).readonly(),
  pollIntervalSec: z.number(),
  maxFileBytes: z.number(),
  validateCommand: z.string().nullable(),
  reloadCommand: z.string().nullable(),
  pathMappings: z.array(pathMappingSchema).readonly().optional(),
  requireValidation: z.boolean().optional(),
});

export const deviceDetailSchema = z.object({ device: deviceSchema, profiles: z.array(profileSchema) });

export const addDeviceBody = z
  .object({
    name: nameSchema,
    host: z.string().min(1).max(255).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).max(64).optional(),
    identityFile: z.string().min(1).max(4096).optional(),
    /** Write-only: stored encrypted, never returned. */
    passphrase: z.string().max(1024).optional(),
    local: z.boolean().optional(),
    mode: z.enum(['auto', 'realtime', 'polling']).optional(),
    pollIntervalSec: z.number().int().min(5).optional(),
    profiles: z.array(z.string().max(4096)).max(32).optional(),
    watch: z.array(z.string().max(4096)).max(256).optional(),
    exclude: z.array(z.string().max(4096)).max(256).optional(),
    type: z.enum(CONFIG_TYPES).optional(),
    sudo: z.boolean().optional(),
    jump: nameSchema.optional(),
    tags: z.array(z.string().max(63)).max(32).optional(),
    hostKey: z.string().max(64).optional(),
    trustHostKey: z.boolean().optional(),
    /** `CONTAINER=HOST` pairs, as `--map`. */
    maps: z.array(z.string().max(4096)).max(64).optional(),
    requireValidation: z.boolean().optional(),
  })
  .strict();

const capabilitiesSchema = z.object({
  inotifywait: z.object({ present: z.boolean(), version: z.string().nullable(), nulFormat: z.boolean() }),
  sha256sum: z.boolean(),
  tar: z.boolean(),
  nginx: z.boolean(),
  docker: z.boolean(),
  systemdAnalyze: z.boolean(),
  sshd: z.boolean(),
  sudo: z.boolean(),
  busybox: z.boolean(),
  findPrintf: z.boolean(),
  statFormat: z.boolean(),
});

export const deviceCheckSchema = z.object({
  name: z.string(),
  reachable: z.boolean(),
  hostKey: z.string().nullable(),
  capabilities: capabilitiesSchema.nullable(),
  mode: z.enum(['realtime', 'polling']).nullable(),
  modeReason: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
