/**
 * inspectStream (SPEC 6.8): the same key-free view as inspect, from a stream in bounded memory;
 * with the total size given it reads the prefix, header and header MAC and nothing more.
 */
import { describe, expect, it } from 'vitest';
import { armor, generateIdentityKeys, inspect, inspectStream, seal } from '../../src/index.js';

/** Yields `bytes` in `size`-byte pieces; throws if asked for anything at or past `forbiddenFrom`. */
async function* pieces(bytes: Uint8Array, size: number, forbiddenFrom = Infinity): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += size) {
    if (off >= forbiddenFrom) throw new Error(`read past the header, at byte ${off}`);
    yield bytes.subarray(off, off + size);
  }
}

describe('inspectStream', async () => {
  const keys = await generateIdentityKeys();
  const other = await generateIdentityKeys();
  const envelope = await seal(new Uint8Array(300_000).fill(9), { recipients: [keys.xwing, other.x25519], sender: keys.signing });
  const whole = await inspect(envelope);
  const headerEnd = 11 + whole.headerBytes + 32;

  it('gives the same view as inspect, whether or not the size is known', async () => {
    expect(await inspectStream(pieces(envelope, 1000))).toEqual(whole);
    expect(await inspectStream(pieces(envelope, 4096), { totalBytes: envelope.length })).toEqual(whole);
    expect(await inspectStream(pieces(new TextEncoder().encode(armor(envelope)), 777))).toEqual({ ...whole, armored: true });
  });

  it('with totalBytes, reads nothing past the header (a 3 GiB file costs what a small one does)', async () => {
    const view = await inspectStream(pieces(envelope, 256, headerEnd + 256), { totalBytes: 3 * 2 ** 30 });
    expect(view.totalBytes).toBe(3 * 2 ** 30);
    expect(view.stanzas).toEqual(whole.stanzas);
    expect(view.chunkCount).toBeGreaterThan(49_000);
  });

  it('refuses a truncated header, a bad totalBytes, and anything that is not an envelope, with their codes', async () => {
    await expect(inspectStream(pieces(envelope.subarray(0, headerEnd - 1), 100))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_TRUNCATED' });
    await expect(inspectStream(pieces(new TextEncoder().encode('not an envelope at all'), 5))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_MALFORMED' });
    await expect(inspectStream(pieces(envelope, 100), { totalBytes: 10 })).rejects.toThrow(RangeError);
    await expect(inspectStream(pieces(envelope, 100), { totalBytes: -1 })).rejects.toThrow(RangeError);
    await expect(inspectStream(pieces(envelope, 100), { totalBytes: '5' as unknown as number })).rejects.toThrow(TypeError);
  });
});
