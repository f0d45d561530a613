import { z } from 'zod';

export const depsQuery = z.object({
  service: z.string().min(1).max(4096).optional().describe('a service, unit, server name, file path or node id'),
});

export const graphSchema = z.object({
  nodes: z.array(z.object({ id: z.string(), kind: z.string(), name: z.string() })),
  edges: z.array(z.object({ from: z.string(), to: z.string(), kind: z.string(), source: z.enum(['derived', 'manual']), sourcePath: z.string().nullable() })),
});

export const serviceDepsSchema = z.object({
  service: z.string(),
  upstream: z.array(z.string()).describe('what the service depends on, transitively'),
  downstream: z.array(z.string()).describe('what depends on the service, transitively'),
});
