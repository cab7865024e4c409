import { afterEach, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import {
  generateIdentityKeys,
  mailboxId,
  MemoryReplayGuard,
  MemoryTransport,
  open,
  receiveEnvelopes,
  seal,
  type Delivery,
  type IdentityKeys,
  type RejectedDelivery,
  type Transport,
} from '../../src/index.js';
import { FileReplayGuard } from '../../src/node.js';
import { startWorker, stopWorker, waitUntil } from './process-helpers.js';

/** Format 2 of the replay log: a 44-byte header, 28-byte records. */
const HEADER = 44;
const RECORD = 28;
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lintas-replay-'));
  dirs.push(d);
  return d;
}

describe('FileReplayGuard', () => {
  it('remembers ids across reopening', async () => {
    const path = join(await tempDir(), 'replay.log');
    const ids = [randomBytes(16), randomBytes(16), randomBytes(16)].map((b) => new Uint8Array(b));
    const g = await FileReplayGuard.open(path);
    await Promise.all(ids.map((id) => g.remember(id)));
    await g.remember(ids[0]!); // already known: not appended again
    expect(await g.has(ids[1]!)).toBe(true);
    await g.close();
    expect((await stat(path)).size).toBe(HEADER + 3 * RECORD);
    const again = await FileReplayGuard.open(path);
    for (const id of ids) expect(await again.has(id)).toBe(true);
    expect(await again.has(new Uint8Array(16))).toBe(false);
    await again.close();
    await expect(again.remember(new Uint8Array(16))).rejects.toMatchObject({ code: 'ERR_TRANSPORT_CLOSED' });
  });

  it('drops a torn last record (partial or garbled) and keeps the rest', async () => {
    const path = join(await tempDir(), 'replay.log');
    const id = new Uint8Array(randomBytes(16));
    const g = await FileReplayGuard.open(path);
    await g.remember(id);
    await g.close();
    for (const tail of [randomBytes(7), randomBytes(RECORD)]) {
      await appendFile(path, tail);
      const reopened = await FileReplayGuard.open(path);
      expect(reopened.size).toBe(1);
      expect(await reopened.has(id)).toBe(true);
      await reopened.close();
      expect((await stat(path)).size).toBe(HEADER + RECORD);
    }
  });

  it('repairs a damaged record anywhere in the log instead of refusing to start, and keeps the others', async () => {
    const path = join(await tempDir(), 'replay.log');
    const ids = [0, 1, 2].map(() => new Uint8Array(randomBytes(16)));
    const g = await FileReplayGuard.open(path);
    for (const id of ids) await g.remember(id);
    await g.close();
    const bytes = await readFile(path);
    bytes.fill(0, HEADER + RECORD, HEADER + RECORD + 8); // the middle record: a zero gap, as a full disk left it
    await writeFile(path, bytes);
    const repaired = await FileReplayGuard.open(path);
    expect(repaired.repairedRecords).toBe(1);
    expect(await repaired.has(ids[0]!)).toBe(true);
    expect(await repaired.has(ids[2]!)).toBe(true);
    await repaired.close();
    expect((await stat(path)).size).toBe(HEADER + 2 * RECORD); // rewritten without it
  });

  it('opens a format-1 log with a zero gap (what a full disk left before the fix) and converts it', async () => {
    // Format 1: "LNTSRPL1", then id (16) || SHA-256("lintas/v1 replay log" || 0 || id)[0..4].
    const v1 = (id: Uint8Array): Buffer => Buffer.concat([id, createHash('sha256').update('lintas/v1 replay log').update(Buffer.from([0])).update(id).digest().subarray(0, 4)]);
    const [a, b, c] = [0, 1, 2].map(() => new Uint8Array(randomBytes(16)));
    const path = join(await tempDir(), 'replay.log');
    await writeFile(path, Buffer.concat([Buffer.from('LNTSRPL1'), v1(a!), v1(b!).subarray(0, 8), Buffer.alloc(12), v1(c!)]));
    const g = await FileReplayGuard.open(path); // before the fix: ERR_REPLAY_LOG_CORRUPT, the receiver could not start
    expect(g.repairedRecords).toBe(1);
    expect(await g.has(a!)).toBe(true);
    expect(await g.has(c!)).toBe(true);
    await g.close();
    expect((await readFile(path)).subarray(0, 8).toString()).toBe('LNTSRPL2');
    const again = await FileReplayGuard.open(path);
    expect(await again.has(a!)).toBe(true);
    expect(again.repairedRecords).toBe(0);
    await again.close();
  });

  it('refuses a file that is not a replay log, or whose header is damaged, instead of forgetting ids', async () => {
    const path = join(await tempDir(), 'replay.log');
    const g = await FileReplayGuard.open(path);
    await g.remember(new Uint8Array(randomBytes(16)));
    await g.close();
    const bytes = await readFile(path);
    bytes[12]! ^= 1; // inside the tag key
    await writeFile(path, bytes);
    await expect(FileReplayGuard.open(path)).rejects.toMatchObject({ code: 'ERR_REPLAY_LOG_CORRUPT' });
    await writeFile(path, 'this is a shopping list');
    await expect(FileReplayGuard.open(path)).rejects.toMatchObject({ code: 'ERR_REPLAY_LOG_CORRUPT' });
  });

  it('validates ids', async () => {
    const g = await FileReplayGuard.open(join(await tempDir(), 'replay.log'));
    await expect(g.remember(new Uint8Array(15))).rejects.toBeInstanceOf(RangeError);
    await expect(g.has('id' as unknown as Uint8Array)).rejects.toBeInstanceOf(TypeError);
    await g.close();
  });

  it('opens with every acknowledged id after its writer is killed mid-append, again and again', async () => {
    const path = join(await tempDir(), 'replay.log');
    const script = fileURLToPath(new URL('./fixtures/replay-log-writer.ts', import.meta.url));
    for (let round = 0; round < 3; round++) {
      const w = startWorker(script, [path]);
      await w.waitForLine((l) => l === 'ready', 'ready');
      const before = w.lines.length;
      await waitUntil(() => w.lines.length > before + 20 + round * 37, 'some remembered ids');
      await stopWorker(w, 'SIGKILL');
      const remembered = w.lines.filter((l) => /^[0-9a-f]{32}$/.test(l));
      const g = await FileReplayGuard.open(path);
      for (const id of remembered) expect(await g.has(Buffer.from(id, 'hex'))).toBe(true);
      await g.close();
    }
  });
});

describe('receiveEnvelopes', () => {
  let alice: IdentityKeys;
  let bob: IdentityKeys;
  const box = (): string => mailboxId(bob.signing.publicKey);

  async function setup(): Promise<void> {
    alice ??= await generateIdentityKeys();
    bob ??= await generateIdentityKeys();
  }
  async function sealed(text: string): Promise<Uint8Array> {
    return seal(new TextEncoder().encode(text), { recipients: [bob.x25519], sender: alice.signing });
  }

  it('processes each envelope once, acknowledges it, and rejects a replayed copy', async () => {
    await setup();
    const t = new MemoryTransport();
    const one = await sealed('one');
    await t.send(box(), one);
    await t.send(box(), await sealed('two'));
    await t.send(box(), one); // an attacker (or a duplicate delivery) sends it again
    const handled: string[] = [];
    const rejected: RejectedDelivery[] = [];
    const result = await receiveEnvelopes(t, box(), {
      keys: [bob.x25519],
      trustedSenders: [alice.signing.publicKey],
      replayGuard: new MemoryReplayGuard(),
      handler: (opened) => void handled.push(new TextDecoder().decode(opened.payload)),
      onRejected: (r) => void rejected.push(r),
      untilEmpty: true,
    });
    expect(handled).toEqual(['one', 'two']);
    expect(result).toEqual({ processed: 2, rejected: 1 });
    expect(rejected.map((r) => r.error.code)).toEqual(['ERR_REPLAY_DETECTED']);
    expect(rejected[0]!.envelope).toEqual(one);
    let left = 0;
    for await (const _ of t.receive(box(), { untilEmpty: true })) left++;
    expect(left).toBe(0); // the duplicate was acknowledged, not left to be redelivered forever
  });

  it('rejects a replay after a restart with the persistent guard', async () => {
    await setup();
    const path = join(await tempDir(), 'replay.log');
    const t = new MemoryTransport();
    const env = await sealed('once only');
    const run = async (): Promise<{ processed: number; rejected: number }> => {
      const guard = await FileReplayGuard.open(path);
      try {
        return await receiveEnvelopes(t, box(), { keys: [bob.x25519], replayGuard: guard, handler: () => {}, untilEmpty: true });
      } finally {
        await guard.close();
      }
    };
    await t.send(box(), env);
    expect(await run()).toEqual({ processed: 1, rejected: 0 });
    await t.send(box(), env);
    expect(await run()).toEqual({ processed: 0, rejected: 1 });
  });

  it('does not acknowledge when the handler fails, so the envelope is processed on the next run', async () => {
    await setup();
    const t = new MemoryTransport();
    await t.send(box(), await sealed('retry me'));
    const guard = new MemoryReplayGuard();
    const boom = new Error('database down');
    await expect(
      receiveEnvelopes(t, box(), { keys: [bob.x25519], replayGuard: guard, untilEmpty: true, handler: () => Promise.reject(boom) }),
    ).rejects.toBe(boom);
    const handled: string[] = [];
    await receiveEnvelopes(t, box(), {
      keys: [bob.x25519],
      replayGuard: guard,
      untilEmpty: true,
      handler: (o) => void handled.push(new TextDecoder().decode(o.payload)),
    });
    expect(handled).toEqual(['retry me']);
  });

  it('recognises the redelivery that follows a crash between remembering and acknowledging', async () => {
    await setup();
    const inner = new MemoryTransport();
    await inner.send(box(), await sealed('exactly once'));
    // A transport whose first ack is lost, as if the process died right before it.
    let lose = true;
    const lossy: Transport = {
      send: (m, e) => inner.send(m, e),
      close: () => inner.close(),
      receive: (m, o) => ({
        async *[Symbol.asyncIterator]() {
          for await (const d of inner.receive(m, o)) {
            const ack = lose ? async () => { lose = false; throw new Error('crashed before ack'); } : d.ack;
            yield { id: d.id, envelope: d.envelope, ack } satisfies Delivery;
          }
        },
      }),
    };
    const guard = new MemoryReplayGuard();
    let calls = 0;
    const opts = { keys: [bob.x25519], replayGuard: guard, untilEmpty: true, handler: () => void calls++ };
    await expect(receiveEnvelopes(lossy, box(), opts)).rejects.toThrow('crashed before ack');
    const rejected: string[] = [];
    expect(await receiveEnvelopes(lossy, box(), { ...opts, onRejected: (r) => void rejected.push(r.error.code) })).toEqual({ processed: 0, rejected: 1 });
    expect(calls).toBe(1);
    expect(rejected).toEqual(['ERR_REPLAY_DETECTED']);
  });

  it('reports and acknowledges envelopes that fail to open: tampered, not for me, unknown sender', async () => {
    await setup();
    const mallory = await generateIdentityKeys();
    const t = new MemoryTransport();
    const tampered = await sealed('tampered');
    tampered[tampered.length - 5]! ^= 1;
    await t.send(box(), tampered);
    await t.send(box(), await seal(new Uint8Array([1]), { recipients: [mallory.x25519], sender: alice.signing }));
    await t.send(box(), await seal(new Uint8Array([2]), { recipients: [bob.x25519], sender: mallory.signing }));
    const codes: string[] = [];
    const result = await receiveEnvelopes(t, box(), {
      keys: [bob.x25519],
      trustedSenders: [alice.signing.publicKey],
      replayGuard: new MemoryReplayGuard(),
      handler: () => {
        throw new Error('must not be called');
      },
      onRejected: (r) => void codes.push(r.error.code),
      untilEmpty: true,
    });
    expect(result).toEqual({ processed: 0, rejected: 3 });
    expect(codes).toEqual(['ERR_ENVELOPE_TAMPERED', 'ERR_ENVELOPE_NOT_FOR_ME', 'ERR_UNKNOWN_SENDER']);
  });

  it('uses a custom opener (e.g. a key ring) when given', async () => {
    await setup();
    const t = new MemoryTransport();
    await t.send(box(), await sealed('via key ring'));
    const seen: string[] = [];
    await receiveEnvelopes(t, box(), {
      open: async (e) => ({ ...(await open(e, { keys: [bob.x25519] })), verification: 'verified' as const }),
      replayGuard: new MemoryReplayGuard(),
      handler: (o) => void seen.push(`${o.verification}: ${new TextDecoder().decode(o.payload)}`),
      untilEmpty: true,
    });
    expect(seen).toEqual(['verified: via key ring']);
  });

  it('validates its options', async () => {
    const t = new MemoryTransport();
    const mb = mailboxId(new Uint8Array(32));
    await expect(receiveEnvelopes(t, mb, { replayGuard: new MemoryReplayGuard(), handler: () => {} })).rejects.toBeInstanceOf(TypeError);
    await expect(receiveEnvelopes(t, mb, { keys: [], handler: () => {} } as never)).rejects.toBeInstanceOf(TypeError);
    const base = { keys: [], replayGuard: new MemoryReplayGuard(), handler: () => {} };
    await expect(receiveEnvelopes(t, mb, { ...base, replayHoldMs: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(receiveEnvelopes(t, mb, { ...base, replayHoldMs: 86_400_001 })).rejects.toBeInstanceOf(RangeError);
    await expect(receiveEnvelopes(t, mb, { ...base, replayHoldMs: 1.5 })).rejects.toBeInstanceOf(TypeError);
  });
});
