import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentityKeys, mailboxId, RelayTransport, type SigningKeyPair } from '../../src/index.js';
import { nodeHttpFetch, startRelay } from '../../src/node.js';
import { runTransportConformance } from './conformance.js';

const LEASE_MS = 1000;
const MAX_BYTES = 16 * 1024 * 1024;
const generous = { perSecond: 10_000, burst: 10_000 };

runTransportConformance('HTTP relay', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lintas-relay-'));
  const relay = await startRelay({ dir, leaseMs: LEASE_MS, limits: { maxEnvelopeBytes: MAX_BYTES, clientRate: generous, mailboxSendRate: generous } });
  const owners: SigningKeyPair[] = [];
  for (let i = 0; i < 3; i++) owners.push((await generateIdentityKeys()).signing);
  return {
    connect: async () => new RelayTransport({ url: relay.url, mailboxKeys: owners, longPollMs: 2000 }),
    dispose: async () => {
      await relay.close();
      await rm(dir, { recursive: true, force: true });
    },
    mailboxes: owners.map((k) => mailboxId(k.publicKey)),
    ordering: 'fifo',
    leaseMs: LEASE_MS,
    maxEnvelopeBytes: MAX_BYTES,
  };
});

runTransportConformance('HTTP relay, through nodeHttpFetch', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lintas-relay-'));
  const relay = await startRelay({ dir, leaseMs: LEASE_MS, limits: { maxEnvelopeBytes: MAX_BYTES, clientRate: generous, mailboxSendRate: generous } });
  const fetch = nodeHttpFetch();
  const owners: SigningKeyPair[] = [];
  for (let i = 0; i < 3; i++) owners.push((await generateIdentityKeys()).signing);
  return {
    connect: async () => new RelayTransport({ url: relay.url, mailboxKeys: owners, longPollMs: 2000, fetch }),
    dispose: async () => {
      fetch.close();
      await relay.close();
      await rm(dir, { recursive: true, force: true });
    },
    mailboxes: owners.map((k) => mailboxId(k.publicKey)),
    ordering: 'fifo',
    leaseMs: LEASE_MS,
    maxEnvelopeBytes: MAX_BYTES,
  };
});
