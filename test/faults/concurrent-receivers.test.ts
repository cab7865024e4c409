/**
 * Two receive loops sharing one replay guard, with two stored copies of one envelope (a sender
 * retried a send whose answer was lost): the copies reach the two loops at the same time, and
 * the handler must still run once.
 */
import { describe, expect, it } from 'vitest';
import { generateIdentityKeys, mailboxId, MemoryMailboxStore, MemoryReplayGuard, MemoryTransport, receiveEnvelopes, seal } from '../../src/index.js';

describe('receiveEnvelopes: concurrent loops on one replay guard', () => {
  it('processes two copies of one envelope, delivered to two loops at once, only once', async () => {
    const bob = await generateIdentityKeys();
    const alice = await generateIdentityKeys();
    const mailbox = mailboxId(bob.signing.publicKey);
    const store = new MemoryMailboxStore();
    const sender = new MemoryTransport({ store });
    const envelope = await seal(new TextEncoder().encode('once'), { recipients: [bob.x25519], sender: alice.signing });
    await sender.send(mailbox, envelope);
    await sender.send(mailbox, envelope); // the retried copy
    const guard = new MemoryReplayGuard();
    let calls = 0;
    let entered!: () => void;
    const bothIn = new Promise<void>((r) => (entered = r));
    const rejected: string[] = [];
    const run = (): Promise<{ processed: number; rejected: number }> =>
      receiveEnvelopes(new MemoryTransport({ store }), mailbox, {
        keys: [bob.x25519],
        replayGuard: guard,
        untilEmpty: true,
        onRejected: (r) => void rejected.push(r.error.code),
        handler: async () => {
          if (++calls === 1) await Promise.race([bothIn, new Promise((r) => setTimeout(r, 200))]); // a slow handler
          else entered();
        },
      });
    const results = await Promise.all([run(), run()]);
    expect(calls).toBe(1);
    expect(results.map((r) => r.processed).sort()).toEqual([0, 1]);
    expect(rejected).toEqual(['ERR_REPLAY_DETECTED']);
  });
});
