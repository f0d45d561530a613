/**
 * `GET /api/devices/:device/deps`: a device's dependency graph, or with
 * `?service=` what that service depends on and what depends on it
 * (transitive), as `confwatch deps` answers.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { namesOf } from '../../store/graph-queries.js';
import type { DependencyEdgeStore } from '../../store/dependency-edges.js';
import type { SnapshotStore } from '../../store/snapshot-store.js';
import { notFound } from '../plugins/error-handler.js';
import { deviceParams, guardedErrors } from './common.schema.js';
import { depsQuery, graphSchema, serviceDepsSchema } from './deps.schema.js';

export const depsRoutes =
  (dependencies: Pick<DependencyEdgeStore, 'load'>, devices: Pick<SnapshotStore, 'getDevice'>): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/devices/:device/deps', {
      config: { scope: 'config:view' },
      schema: {
        tags: ['dependencies'],
        summary: 'Dependency graph of a device, or one service’s upstream and downstream',
        params: deviceParams,
        querystring: depsQuery,
        response: { 200: graphSchema.or(serviceDepsSchema), ...guardedErrors },
      },
      handler: async (request) => {
        const { device } = request.params;
        const { service } = request.query;
        if (!(await devices.getDevice(device))) throw notFound(`unknown device "${device}"`);
        const graph = await dependencies.load(device);
        if (service === undefined) return { nodes: graph.nodes, edges: [...graph.edges] };
        if (graph.find(service).length === 0) throw notFound(`no service "${service}" in the graph of ${device}`);
        return { service, upstream: namesOf(graph.upstream(service)), downstream: namesOf(graph.downstream(service)) };
      },
    });
  };
