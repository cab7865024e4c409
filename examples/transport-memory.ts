/**
 * In-memory transport: two parts of one process (or a test) exchanging envelopes.
 *
 *   npx tsx examples/transport-memory.ts
 */
import { generateIdentityKeys, mailboxId, MemoryReplayGuard, MemoryTransport, receiveEnvelopes, seal } from '../src/index.js';

const bin = await generateIdentityKeys();
const polri = await generateIdentityKeys();
const mailbox = mailboxId(polri.signing.publicKey);
const transport = new MemoryTransport();

for (const text of ['first report', 'second report']) {
  await transport.send(mailbox, await seal(new TextEncoder().encode(text), { recipients: [polri.x25519], sender: bin.signing }));
}
const result = await receiveEnvelopes(transport, mailbox, {
  keys: [polri.x25519],
  trustedSenders: [bin.signing.publicKey],
  replayGuard: new MemoryReplayGuard(),
  untilEmpty: true,
  handler: (opened) => console.log(`POLRI <- "${new TextDecoder().decode(opened.payload)}"`),
});
console.log(`processed ${result.processed}, rejected ${result.rejected}`);
await transport.close();
