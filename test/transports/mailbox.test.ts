import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { generateIdentityKeys, isMailboxId, mailboxId, publicIdentityKeys } from '../../src/index.js';

describe('mailboxId', () => {
  it('is hex of SHA-256("lintas/v1 mailbox" || 0x00 || signing public key)', () => {
    const key = new Uint8Array(32).map((_, i) => i);
    const expected = createHash('sha256').update(Buffer.concat([Buffer.from('lintas/v1 mailbox'), Buffer.from([0]), key])).digest('hex');
    expect(mailboxId(key)).toBe(expected);
    // Fixed vector: mailbox ids are stored by relays and must never change.
    expect(mailboxId(key)).toBe('afcfbfe854c70a8157487f1a9b59f126f9af4cee2379f39c86fb503ad0a86115');
    expect(isMailboxId(expected)).toBe(true);
  });

  it('takes a key card (anything with signingPublicKey) and differs per key', async () => {
    const a = await generateIdentityKeys();
    const b = await generateIdentityKeys();
    expect(mailboxId(publicIdentityKeys(a))).toBe(mailboxId(a.signing.publicKey));
    expect(mailboxId(a.signing.publicKey)).not.toBe(mailboxId(b.signing.publicKey));
  });

  it('validates its input', () => {
    expect(() => mailboxId('abc' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => mailboxId(new Uint8Array(31))).toThrow(RangeError);
    expect(isMailboxId('A'.repeat(64))).toBe(false);
    expect(isMailboxId('a'.repeat(63))).toBe(false);
  });
});
