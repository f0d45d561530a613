/** Devices: list, show, add, remove and check, through DeviceService. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DeviceService } from '../../services/device.service.js';
import { noteAuditTarget } from '../plugins/guard.js';
import { deviceParams, errorSchema, guardedErrors } from './common.schema.js';
import { addDeviceBody, deviceCheckSchema, deviceDetailSchema, deviceSchema } from './devices.schema.js';

export const deviceRoutes =
  (devices: DeviceService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/devices', {
      config: { scope: 'config:view' },
      schema: { tags: ['devices'], summary: 'List devices', response: { 200: z.object({ devices: z.array(deviceSchema) }), ...guardedErrors } },
      handler: async () => ({ devices: await devices.list() }),
    });

    app.get('/api/devices/:device', {
      config: { scope: 'config:view' },
      schema: { tags: ['devices'], summary: 'A device and its profiles', params: deviceParams, response: { 200: deviceDetailSchema, ...guardedErrors } },
      handler: async (request) => devices.show(request.params.device),
    });

    app.post('/api/devices', {
      config: { scope: 'devices:manage', action: 'device.add' },
      schema: {
        tags: ['devices'],
        summary: 'Add a device (pin its host key with hostKey or trustHostKey)',
        body: addDeviceBody,
        response: { 201: deviceDetailSchema, ...guardedErrors, 409: errorSchema, 502: errorSchema },
      },
      handler: async (request, reply) => {
        const { type, ...rest } = request.body;
        noteAuditTarget(request, ['device', rest.name]);
        const added = await devices.add({ ...rest, ...(type ? { type } : {}) });
        return reply.code(201).send(added);
      },
    });

    app.delete('/api/devices/:device', {
      config: { scope: 'devices:manage', action: 'device.remove' },
      schema: { tags: ['devices'], summary: 'Remove a device (its history is kept)', params: deviceParams, response: { 204: z.null(), ...guardedErrors } },
      handler: async (request, reply) => {
        await devices.remove(request.params.device);
        return reply.code(204).send(null);
      },
    });

    app.post('/api/devices/:device/check', {
      config: { scope: 'devices:manage', action: 'device.check' },
      schema: {
        tags: ['devices'],
        summary: 'Connect, probe capabilities and report the mode auto would choose',
        params: deviceParams,
        response: { 200: deviceCheckSchema, ...guardedErrors },
      },
      handler: async (request) => devices.check(request.params.device),
    });
  };
