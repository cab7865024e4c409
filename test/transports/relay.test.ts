import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentityKeys, mailboxId, RelayTransport, type SigningKeyPair } from '../../src/index.js';
import { nodeHttpFetch, startRelay, type NodeHttpFetch } from '../../src/node.js';
import { runTransportConformance } from './conformance.js';

const LEASE_MS = 1000;
const MAX_BYTES = 16 * 1024 * 1024;
const generous = { perSecond: 10_000, burst: 10_000 };

/** A relay on a fresh folder and clients of it, through `fetch` if given (else the global one). */
function relaySetup(makeFetch?: () => NodeHttpFetch) {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lintas-relay-'));
    const relay = await startRelay({ dir, leaseMs: LEASE_MS, limits: { maxEnvelopeBytes: MAX_BYTES, clientRate: generous, mailboxSendRate: generous } });
    const fetch = makeFetch?.();
    const owners: SigningKeyPair[] = [];
    for (let i = 0; i < 3; i++) owners.push((await generateIdentityKeys()).signing);
    return {
      connect: async () => new RelayTransport({ url: relay.url, mailboxKeys: owners, longPollMs: 2000, ...(fetch ? { fetch } : {}) }),
      dispose: async () => {
        fetch?.close();
        await relay.close();
        await rm(dir, { recursive: true, force: true });
      },
      mailboxes: owners.map((k) => mailboxId(k.publicKey)),
      ordering: 'fifo' as const,
      leaseMs: LEASE_MS,
      maxEnvelopeBytes: MAX_BYTES,
    };
  };
}

runTransportConformance('HTTP relay', relaySetup());
runTransportConformance('HTTP relay, through nodeHttpFetch', relaySetup(nodeHttpFetch));
