import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DropFolderTransport } from '../../src/node.js';
import { runTransportConformance } from './conformance.js';

const LEASE_MS = 1000;

runTransportConformance('drop folder', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lintas-drop-'));
  return {
    connect: async () => new DropFolderTransport({ root, leaseMs: LEASE_MS, pollIntervalMs: 20, maxEnvelopeBytes: 16 * 1024 * 1024 }),
    dispose: () => rm(root, { recursive: true, force: true }),
    ordering: 'fifo',
    leaseMs: LEASE_MS,
    maxEnvelopeBytes: 16 * 1024 * 1024,
  };
});
