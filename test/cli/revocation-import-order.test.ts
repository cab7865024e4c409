/**
 * `lintas contact import` of one file holding a key-compromise revocation and the owner's new
 * card (issue 12, item 1; docs/CLI.md): the thief who copied POLRI's key ring has already
 * published a rotation, which BIN followed. Whatever the order of the blocks in POLRI's file,
 * the revocation is applied, the thief's card is dropped, and the owner's card is taken once
 * its fingerprint is given; the result is the same for both orders. And a rotation that changes
 * the organization is reported as such, leaving the contact unverified (item 3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { armorKeyCard, KeyRing } from '../../src/index.js';
import { FileKeyRingStorage } from '../../src/node.js';
import { Cli, buildCli, expectOk, twoAgencies, workFolder } from './cli-kit.js';

let script: string;
let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polriFingerprint: string;
let thiefFingerprint: string;
let ownerFingerprint: string;
const w = (name: string): string => join(work.dir, name);

beforeAll(async () => {
  script = await buildCli();
  work = await workFolder('revocation-order');
  let polri: Cli;
  ({ bin, polri, polriFingerprint } = await twoAgencies(script, work.dir));
  // The thief copied POLRI's home (key ring and passphrase) and rotates the identity to new keys.
  await cp(polri.home, w('thief-home'), { recursive: true });
  const thief = new Cli(script, w('thief-home'));
  await expectOk(thief.run(['identity', 'rotate', 'polri', '-o', w('thief.card')]));
  thiefFingerprint = (await bin.json(['card', 'show', w('thief.card')])).value[1].fingerprint;
  await expectOk(bin.run(['contact', 'import', w('thief.card')]));
  expect((await bin.json(['contact', 'show', 'polri'])).value.card.fingerprint).toBe(thiefFingerprint);
  // POLRI finds out: it revokes the stolen key and rotates, and sends both in one file.
  await expectOk(polri.run(['identity', 'revoke', 'polri', '--reason', 'key-compromise', '--comment', 'laptop stolen', '-o', w('polri.revocation')]));
  await expectOk(polri.run(['identity', 'rotate', 'polri', '-o', w('owner.card')]));
  ownerFingerprint = (await bin.json(['card', 'show', w('owner.card')])).value[1].fingerprint;
  const revocation = await readFile(w('polri.revocation'), 'utf8');
  const cards = await readFile(w('owner.card'), 'utf8');
  await writeFile(w('revocation-first.txt'), revocation + cards);
  await writeFile(w('cards-first.txt'), cards + revocation);
}, 120_000);
afterAll(async () => {
  await work.remove();
});

/** BIN's key ring as it was after following the thief's card, in a home of its own. */
async function binCopy(name: string): Promise<Cli> {
  await cp(bin.home, w(name), { recursive: true });
  return new Cli(script, w(name));
}

describe('contact import of a revocation and a new card in one file', () => {
  it('without the fingerprint: the revocation applies, the thief\'s card is dropped, the new card waits for its fingerprint', async () => {
    const shown: unknown[] = [];
    for (const file of ['revocation-first.txt', 'cards-first.txt']) {
      const ring = await binCopy(`bin-${file}-nofp`);
      const r = await ring.run(['contact', 'import', w(file)]);
      expect(r.code, file).not.toBe(0);
      expect(r.stderr, file).toContain('ERR_KEYCARD_SUCCESSION_INVALID');
      expect(r.stderr, file).toContain('Applied a revocation (key-compromise)');
      expect(r.stderr, file).toContain('dropped back');
      const contact = (await ring.json(['contact', 'show', 'polri'])).value;
      expect([contact.card.fingerprint, contact.verification, contact.revoked, contact.groups, contact.suspendedGroups], file).toEqual([
        polriFingerprint,
        'unverified',
        'key-compromise',
        [],
        ['police'],
      ]);
      // No seal reaches the thief: the card it signed is gone, and the stolen one is revoked.
      const sealed = await ring.run(['seal', '--to', 'polri', '--tlp', 'GREEN'], { input: 'x' });
      expect(sealed.stderr, file).toContain('ERR_KEYRING_RECIPIENT_REVOKED');
      shown.push(contact);
    }
    expect(shown[1]).toEqual(shown[0]);
  });

  it('with the fingerprint: both orders end on the owner\'s card, verified, back in its groups', async () => {
    const shown: unknown[] = [];
    for (const file of ['revocation-first.txt', 'cards-first.txt']) {
      const ring = await binCopy(`bin-${file}-fp`);
      const r = await expectOk(ring.run(['contact', 'import', w(file), '--fingerprint', ownerFingerprint]));
      expect(r.stdout, file).toContain('Applied a revocation (key-compromise)');
      const contact = (await ring.json(['contact', 'show', 'polri'])).value;
      expect([contact.card.fingerprint, contact.verification, contact.revoked, contact.groups, contact.history], file).toEqual([
        ownerFingerprint,
        'verified',
        null,
        ['police'],
        [polriFingerprint],
      ]);
      const list = await expectOk(ring.run(['contact', 'list']));
      expect(list.stdout, file).not.toContain(thiefFingerprint);
      shown.push(contact);
    }
    expect(shown[1]).toEqual(shown[0]);
  });
});

describe('contact import of a rotation that changes the organization', () => {
  it('prints the change and leaves the contact unverified', async () => {
    // Whoever holds the key (here the thief's copy, before any revocation reached BIN) signs a
    // successor that claims another organization and country.
    const ring = await KeyRing.open(new FileKeyRingStorage(join(w('thief-home'), 'keyring.lintas')), { passphrase: 'correct horse battery' });
    const next = await ring.rotateIdentity('polri', { organization: 'Badan Intelijen Negara', country: 'MY' });
    ring.close();
    await writeFile(w('changed.card'), armorKeyCard(next.card));
    const copy = await binCopy('bin-changed');
    const r = await expectOk(copy.run(['contact', 'import', w('changed.card')]));
    expect(r.stdout).toContain('changes the organization from "Kepolisian Negara Republik Indonesia" to "Badan Intelijen Negara"');
    expect(r.stdout).toContain('changes the country from "ID" to "MY"');
    expect(r.stdout).toContain('(unverified)');
    expect(r.stdout).toContain('not for a new identity');
    const shown = (await copy.json(['contact', 'show', 'polri'])).value;
    expect([shown.verification, shown.card.organization]).toEqual(['unverified', 'Badan Intelijen Negara']);
  });
});
