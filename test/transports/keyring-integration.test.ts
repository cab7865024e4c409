/**
 * Transports with the key ring: a mailbox addressed by the partner's key card, and
 * receiveEnvelopes opening through the key ring so the handler learns the sender's verification.
 */
import { describe, expect, it } from 'vitest';
import {
  KeyRing,
  KEYRING_KDF_MINIMUM,
  mailboxId,
  MemoryKeyRingStorage,
  MemoryReplayGuard,
  MemoryTransport,
  receiveEnvelopes,
} from '../../src/index.js';

const secret = { passphrase: 'correct horse battery staple', kdf: KEYRING_KDF_MINIMUM };

describe('transports with the key ring', () => {
  it('sends to the mailbox of a key card and reports the verified sender on receipt', async () => {
    const bin = await KeyRing.create(new MemoryKeyRingStorage(), secret);
    const polri = await KeyRing.create(new MemoryKeyRingStorage(), secret);
    const binCard = (await bin.createIdentity({ name: 'BIN', organization: 'Badan Intelijen Negara', country: 'ID' })).card;
    const polriCard = (await polri.createIdentity({ name: 'POLRI', organization: 'Kepolisian Negara', country: 'ID' })).card;
    await bin.importKeyCard(polriCard, { name: 'POLRI', fingerprint: polriCard.fingerprint });
    await polri.importKeyCard(binCard, { name: 'BIN', fingerprint: binCard.fingerprint });

    const transport = new MemoryTransport();
    const mailbox = mailboxId(polriCard); // the key card itself names the mailbox
    expect(mailbox).toBe(mailboxId(polri.identityKeys('POLRI').signing.publicKey));
    await transport.send(mailbox, await bin.seal(new TextEncoder().encode('from BIN'), { from: 'BIN', to: ['POLRI'] }));

    const seen: string[] = [];
    await receiveEnvelopes(transport, mailbox, {
      open: (envelope) => polri.open(envelope),
      replayGuard: new MemoryReplayGuard(),
      untilEmpty: true,
      handler: (opened) => void seen.push(`${opened.senderContact?.name}/${opened.senderVerification}: ${new TextDecoder().decode(opened.payload)}`),
    });
    expect(seen).toEqual(['BIN/verified: from BIN']);
  });
});
