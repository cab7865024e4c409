import { MemoryMailboxStore, MemoryTransport } from '../../src/index.js';
import { runTransportConformance } from './conformance.js';

runTransportConformance('in-memory', async () => {
  const store = new MemoryMailboxStore();
  return {
    connect: async () => new MemoryTransport({ store, maxEnvelopeBytes: 16 * 1024 * 1024 }),
    dispose: async () => {},
    ordering: 'fifo',
    maxEnvelopeBytes: 16 * 1024 * 1024,
  };
});
