/**
 * HTTP relay: a store-and-forward server (here started in this process on 127.0.0.1) and the
 * fetch-based client. Only POLRI's signing key can list or fetch POLRI's mailbox; the relay only
 * accepts BIN as a sender; POLRI returns a signed receipt that BIN verifies.
 *
 *   npx tsx examples/transport-relay.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReceipt, generateIdentityKeys, mailboxId, MemoryReplayGuard, receiveEnvelopes, RelayTransport, seal, verifyReceipt } from '../src/index.js';
import { startRelay } from '../src/node.js';

const bin = await generateIdentityKeys();
const polri = await generateIdentityKeys();
const dir = await mkdtemp(join(tmpdir(), 'lintas-relay-'));
const relay = await startRelay({ dir, allowSenders: [bin.signing.publicKey] });
console.log(`relay listening on ${relay.url}, storing in ${dir}`);
try {
  const mailbox = mailboxId(polri.signing.publicKey);
  const binClient = new RelayTransport({ url: relay.url, senderKey: bin.signing });
  const envelope = await seal(new TextEncoder().encode('TLP:RED - meeting moved to 14:00'), { recipients: [polri.xwing], sender: bin.signing });
  await binClient.send(mailbox, envelope); // resolves after the relay fsynced it
  console.log('BIN   -> sent (the relay answered 201 after fsync)');

  const polriClient = new RelayTransport({ url: relay.url, mailboxKeys: [polri.signing] });
  const receipts: Uint8Array[] = [];
  await receiveEnvelopes(polriClient, mailbox, {
    keys: [polri.xwing],
    trustedSenders: [bin.signing.publicKey],
    replayGuard: new MemoryReplayGuard(),
    untilEmpty: true,
    handler: async (opened, { envelope: received }) => {
      console.log(`POLRI <- "${new TextDecoder().decode(opened.payload)}"`);
      receipts.push(await createReceipt(received, opened, polri.signing));
    },
  });

  // The receipt travels back to BIN (over any channel); BIN checks it against what it sent.
  const receipt = await verifyReceipt(receipts[0]!, polri.signing.publicKey, { envelope });
  console.log(`BIN   <- receipt: POLRI received it at ${receipt.receivedAt.toISOString()}`);
  await binClient.close();
  await polriClient.close();
} finally {
  await relay.close();
  await rm(dir, { recursive: true, force: true });
}
