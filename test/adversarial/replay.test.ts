/**
 * Adversarial index (docs/THREAT-MODEL.md): replay. The format gives every envelope a signed
 * random id and times (SPEC 10.7); recognising a repeat is the receiver's job, done by
 * `receiveEnvelopes` with a `ReplayGuard`, which forgets ids once their envelopes are older than
 * the replay window and refused as such. Deeper variants: test/transports/replay.test.ts (crash
 * between remember and ack, torn replay logs, killed writers), replay-window.test.ts,
 * replay-guard-locks.test.ts (several processes), test/faults/replay-log-disk-full.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  generateIdentityKeys,
  mailboxId,
  MemoryReplayGuard,
  MemoryTransport,
  open,
  receiveEnvelopes,
  recipientId,
  seal,
  type IdentityKeys,
  type OpenedEnvelope,
  type RejectedDelivery,
} from '../../src/index.js';
import { FileReplayGuard } from '../../src/node.js';
import { expectCode, forgeEnvelope, readMeta, sealWithSecrets, signEnvelope, splitEnvelope } from '../envelope/envelope-kit.js';
import { concatBytes } from '../../src/crypto/bytes.js';

let alice: IdentityKeys; // sender
let bob: IdentityKeys; // receiver
let carol: IdentityKeys; // a co-recipient and partner Bob also trusts
let dir: string;

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()]);
  dir = await mkdtemp(join(tmpdir(), 'lintas-adversarial-replay-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = (s: string) => new TextEncoder().encode(s);
const untext = (b: Uint8Array) => new TextDecoder().decode(b);
const box = () => mailboxId(bob.signing.publicKey);

/** Run Bob's receive loop once over everything in `t`; what was handled and what was refused. */
async function receive(t: MemoryTransport, replayGuard: MemoryReplayGuard | FileReplayGuard) {
  const handled: string[] = [];
  const refused: string[] = [];
  const result = await receiveEnvelopes(t, box(), {
    keys: [bob.x25519, bob.xwing],
    trustedSenders: [alice.signing.publicKey, carol.signing.publicKey],
    replayGuard,
    handler: (o: OpenedEnvelope) => void handled.push(untext(o.payload)),
    onRejected: (r: RejectedDelivery) => void refused.push(r.error.code),
    untilEmpty: true,
  });
  return { result, handled, refused };
}

describe('attack: replay', () => {
  it('the same envelope delivered twice is processed once; the copy is refused as a replay', async () => {
    const t = new MemoryTransport();
    const env = await seal(text('release 40 units'), { recipients: [bob.xwing], sender: alice.signing });
    await t.send(box(), env);
    await t.send(box(), env);
    const r = await receive(t, new MemoryReplayGuard());
    expect([r.handled, r.refused]).toEqual([['release 40 units'], ['ERR_REPLAY_DETECTED']]);
  });

  it('a replay after the receiver restarts is refused with the persistent FileReplayGuard', async () => {
    const path = join(dir, 'replay.log');
    const env = await seal(text('release 40 units'), { recipients: [bob.xwing], sender: alice.signing });
    for (const expected of [{ handled: ['release 40 units'], refused: [] }, { handled: [], refused: ['ERR_REPLAY_DETECTED'] }]) {
      const t = new MemoryTransport();
      await t.send(box(), env);
      const guard = await FileReplayGuard.open(path); // a new process: only the log remembers
      try {
        const r = await receive(t, guard);
        expect({ handled: r.handled, refused: r.refused }).toEqual(expected);
      } finally {
        await guard.close();
      }
    }
  });

  it('replayed after its expiry, an envelope is refused by open itself, so ids need not be kept forever', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const env = await seal(text('valid one hour'), { recipients: [bob.x25519], sender: alice.signing, expiresAt });
    expect(untext((await open(env, { keys: [bob.x25519] })).payload)).toBe('valid one hour');
    await expectCode(open(env, { keys: [bob.x25519], now: new Date(expiresAt.getTime() + 2000) }), 'ERR_ENVELOPE_EXPIRED');
  });

  it('replayed after the window, when the log has compacted its id away, an envelope is refused as too old, not accepted as new', async () => {
    const path = join(dir, 'window.log');
    const env = await seal(text('release 40 units'), { recipients: [bob.xwing], sender: alice.signing });
    const receiveWithin = async (windowSeconds: number) => {
      const t = new MemoryTransport();
      await t.send(box(), env);
      const guard = await FileReplayGuard.open(path);
      try {
        const handled: string[] = [];
        const refused: string[] = [];
        await receiveEnvelopes(t, box(), {
          keys: [bob.xwing],
          trustedSenders: [alice.signing.publicKey],
          replayGuard: guard,
          replayWindowSeconds: windowSeconds,
          handler: (o) => void handled.push(untext(o.payload)),
          onRejected: (r) => void refused.push(r.error.code),
          untilEmpty: true,
        });
        return { handled, refused, remembered: guard.size };
      } finally {
        await guard.close();
      }
    };
    expect(await receiveWithin(600)).toEqual({ handled: ['release 40 units'], refused: [], remembered: 1 });
    // The attacker captured it and waits past the window and the log's one-day clock margin.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 600_000 + 86_400_000 + 60_000);
      const replay = await receiveWithin(600);
      expect(replay).toEqual({ handled: [], refused: ['ERR_REPLAY_TOO_OLD'], remembered: 0 }); // the id is gone; freshness refuses it
    } finally {
      vi.useRealTimers();
    }
  });

  it('an envelope signed longer ago than the window and never seen is refused: the receiver may have forgotten its id', async () => {
    const sealed = await sealWithSecrets(text('old news'), { recipients: [bob.x25519], sender: alice.signing }, Date.now() - 31 * 86_400_000);
    const t = new MemoryTransport();
    await t.send(box(), sealed.envelope);
    const r = await receive(t, new MemoryReplayGuard());
    expect([r.handled, r.refused]).toEqual([[], ['ERR_REPLAY_TOO_OLD']]);
  });

  it("a co-recipient cannot suppress Alice's envelope by sending Bob one of her own with the same id first", async () => {
    // Carol receives Alice's envelope (to Bob and Carol), learns its id from the meta block, and
    // races a genuine envelope of her own, signed by her and carrying that id, into Bob's mailbox.
    const sealed = await sealWithSecrets(text("Alice's order"), { recipients: [bob.x25519, carol.x25519], sender: alice.signing });
    const parts = splitEnvelope(sealed.envelope);
    const id = readMeta(sealed.keys, parts.header).id;
    // Carol seals to Bob as usual, then re-makes her envelope with Alice's id in the meta block.
    const carolsOwn = await sealWithSecrets(text('x'), { recipients: [bob.x25519], sender: carol.signing });
    const own = splitEnvelope(carolsOwn.envelope);
    const base = {
      fileKey: carolsOwn.fileKey,
      salt: carolsOwn.salt,
      stanzas: own.header.stanzas,
      chunkExponent: own.header.chunkExponent,
      meta: { id, created: Math.floor(Date.now() / 1000), expires: null, sender: carol.signing.publicKey, to: [recipientId(bob.x25519)], len: 13, contentType: null },
    };
    const payload = text("Carol's decoy");
    const { prefixAndHeader } = forgeEnvelope({ ...base, plaintext: payload });
    const squatter = forgeEnvelope({ ...base, plaintext: concatBytes(payload, signEnvelope(carol.signing, prefixAndHeader, payload)) }).envelope;
    const decoy = await open(squatter, { keys: [bob.x25519] });
    expect([decoy.envelopeId, decoy.sender]).toEqual([id, carol.signing.publicKey]);

    const t = new MemoryTransport();
    await t.send(box(), squatter);
    await t.send(box(), sealed.envelope);
    const r = await receive(t, new MemoryReplayGuard());
    expect(r.handled).toEqual(["Carol's decoy", "Alice's order"]);
    expect(r.refused).toEqual([]);
  });
});
