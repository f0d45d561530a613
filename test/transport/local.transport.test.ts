import { describe } from 'vitest';
import { LocalTransport } from '../../src/transport/local.transport.js';
import { transportBehaviour } from './transport-behaviour.js';

describe('LocalTransport', () => {
  transportBehaviour(async () => {
    const transport = new LocalTransport();
    return { transport, cleanup: () => transport.close() };
  });
});
