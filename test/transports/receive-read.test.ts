/**
 * receiveEnvelopes' `read` option: an app that keeps large envelopes out of memory takes each
 * delivery's body in itself (here: counts and keeps its chunks as they stream) and gets what it
 * made of it in `open`, the handler and `onRejected`.
 */
import { describe, expect, it } from 'vitest';
import { generateIdentityKeys, mailboxId, MemoryReplayGuard, MemoryTransport, open, receiveEnvelopes, seal } from '../../src/index.js';
import type { EnvelopeBody } from '../../src/transports/transport.js';

/** What the app's `read` made of a body: the chunks, and how many bytes streamed by. */
interface Taken {
  chunks: Uint8Array[];
  bytes: number;
}

async function take(body: EnvelopeBody): Promise<Taken> {
  const taken: Taken = { chunks: [], bytes: 0 };
  for await (const c of body instanceof Uint8Array ? [body] : body) {
    taken.chunks.push(c);
    taken.bytes += c.length;
  }
  return taken;
}

describe('receiveEnvelopes with read', () => {
  it('hands what read returned to open, the handler and onRejected', async () => {
    const sender = await generateIdentityKeys();
    const me = await generateIdentityKeys();
    const transport = new MemoryTransport();
    const inbox = mailboxId(me.signing.publicKey);
    const envelope = await seal(new TextEncoder().encode('large in real life'), { recipients: [me.xwing], sender: sender.signing });
    await transport.send(inbox, envelope);
    await transport.send(inbox, new Uint8Array([1, 2, 3])); // not an envelope: refused

    const handled: number[] = [];
    const refused: { bytes: number; code: string }[] = [];
    const result = await receiveEnvelopes(transport, inbox, {
      replayGuard: new MemoryReplayGuard(),
      untilEmpty: true,
      read: take,
      open: (taken: Taken) => open(taken.chunks, { keys: [me.xwing] }),
      handler: (opened, context) => {
        expect(new TextDecoder().decode(opened.payload)).toBe('large in real life');
        handled.push(context.envelope.bytes);
      },
      onRejected: ({ envelope: taken, error }) => {
        refused.push({ bytes: taken.bytes, code: error.code });
      },
    });
    expect(result).toEqual({ processed: 1, rejected: 1 });
    expect(handled).toEqual([envelope.length]);
    expect(refused).toEqual([{ bytes: 3, code: 'ERR_ENVELOPE_MALFORMED' }]);
    await transport.close();
  });

  it('requires open with read: the built-in open takes bytes', async () => {
    const transport = new MemoryTransport();
    const inbox = mailboxId((await generateIdentityKeys()).signing.publicKey);
    await expect(
      receiveEnvelopes(transport, inbox, { keys: [], replayGuard: new MemoryReplayGuard(), untilEmpty: true, read: take, handler: () => {} }),
    ).rejects.toThrow(TypeError);
    await transport.close();
  });
});
