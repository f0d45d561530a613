/**
 * One transport per device for the length of a write-back operation, opened
 * on first use and all closed at the end.
 */
import type { DeviceRecord } from '../store/records.js';
import type { Transport } from '../transport/transport.js';

export type TransportOf = (device: DeviceRecord) => Promise<Transport>;

export function transportPool(open: TransportOf): { transportOf: TransportOf; closeAll(): Promise<void> } {
  const transports = new Map<string, Promise<Transport>>();
  return {
    transportOf(device) {
      let transport = transports.get(device.name);
      if (!transport) {
        transport = open(device);
        transports.set(device.name, transport);
        transport.catch(() => transports.delete(device.name));
      }
      return transport;
    },
    async closeAll() {
      const open = [...transports.values()];
      transports.clear();
      await Promise.all(open.map(async (t) => (await t.catch(() => null))?.close().catch(() => undefined)));
    },
  };
}
