/**
 * Two agencies work through the CLI alone (docs/CLI.md): identities, key cards, contacts and
 * verification, sealing files and stdin with markings, opening, inspecting, the audit trail,
 * rotation and revocation; and every refusal with its exit code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cli, buildCli, expectOk, twoAgencies, workFolder } from './cli-kit.js';

const STIX = join(import.meta.dirname, '../fixtures/stix');

let script: string;
let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polri: Cli;
let polriFingerprint: string;
const w = (name: string): string => join(work.dir, name);

beforeAll(async () => {
  script = await buildCli();
  work = await workFolder('exchange');
  ({ bin, polri, polriFingerprint } = await twoAgencies(script, work.dir));
});
afterAll(async () => {
  await work.remove();
});

describe('identities and contacts', () => {
  it('identity list and card show agree on the fingerprint, in text and JSON', async () => {
    const { value } = await polri.json(['identity', 'list']);
    expect(value).toHaveLength(1);
    expect(value[0].name).toBe('polri');
    expect(value[0].card.fingerprint).toBe(polriFingerprint);
    expect(value[0].card.encryptionKeys).toEqual(['X25519', 'X-Wing']);
    const text = await expectOk(polri.run(['identity', 'list']));
    expect(text.stdout).toContain(polriFingerprint);
  });

  it('a contact imported with the right fingerprint is verified; the other side verifies by hand', async () => {
    const shown = (await bin.json(['contact', 'show', 'polri'])).value;
    expect(shown.verification).toBe('verified');
    expect(shown.groups).toEqual(['police']);
    expect(typeof shown.safetyNumber).toBe('string');
    // Both sides compute the same safety number for the pair.
    const other = (await polri.json(['contact', 'show', 'bin'])).value;
    expect(other.safetyNumber).toBe(shown.safetyNumber);
  });

  it('importing with a fingerprint that does not match is refused (exit 4) and adds nothing', async () => {
    const wrong = polriFingerprint.replace(/^\d/, (d) => String((Number(d) + 1) % 10));
    const r = await bin.run(['contact', 'import', w('polri.card'), '--name', 'impostor', '--fingerprint', wrong]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('ERR_KEYRING_FINGERPRINT_MISMATCH');
    const list = (await bin.json(['contact', 'list'])).value as { name: string }[];
    expect(list.map((c) => c.name)).toEqual(['polri']);
  });

  it('contact update, unverify, verify and remove', async () => {
    await expectOk(bin.run(['contact', 'update', 'polri', '--group', 'police', '--group', 'asean', '--label', 'liaison']));
    expect((await bin.json(['contact', 'list', '--group', 'asean'])).value.map((c: { name: string }) => c.name)).toEqual(['polri']);
    await expectOk(bin.run(['contact', 'update', 'polri', '--unverify']));
    expect((await bin.json(['contact', 'show', 'polri'])).value.verification).toBe('unverified');
    const bad = await bin.run(['contact', 'verify', 'polri', '00000 00000 00000 00000 00000 00000 00000 00000']);
    expect(bad.code).toBe(4);
    await expectOk(bin.run(['contact', 'verify', 'polri', polriFingerprint]));
    expect((await bin.json(['contact', 'show', 'polri'])).value.verification).toBe('verified');
    const missing = await bin.run(['contact', 'remove', 'nobody']);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toContain('ERR_KEYRING_UNKNOWN_CONTACT');
  });
});

describe('seal, inspect, open', () => {
  it('files and a STIX bundle, sealed with -o, opened into a folder byte for byte', async () => {
    const report = 'Laporan: kurir jaringan tiba di CGK 07:40, penerbangan GA-881.\n';
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff));
    await writeFile(w('report.txt'), report);
    await writeFile(w('capture.bin'), binary);
    const sealed = await bin.json(['seal', w('report.txt'), w('capture.bin'), '--stix', join(STIX, 'poisonivy.json'), '--to', 'polri', '--tlp', 'GREEN', '--title', 'Courier', '-o', w('courier.lintas')]);
    expect(sealed.run.code).toBe(0);
    expect(sealed.value.items).toHaveLength(3);
    expect(sealed.value.to[0].fingerprint).toBe(polriFingerprint);

    const inspected = (await bin.json(['inspect', w('courier.lintas')])).value;
    expect(inspected.version).toBe(1);
    expect(inspected.chunkCount).toBeGreaterThan(1);
    const inspectedText = await expectOk(polri.run(['inspect', w('courier.lintas')]));
    expect(inspectedText.stdout).not.toContain('kurir'); // nothing of the content shows

    const opened = await polri.json(['open', w('courier.lintas'), '-o', w('courier-out')]);
    expect(opened.run.code).toBe(0);
    expect(opened.value.title).toBe('Courier');
    expect(opened.value.originator.verification).toBe('verified');
    expect(opened.value.markings.tlp).toBe('GREEN');
    expect(await readFile(w('courier-out/report.txt'), 'utf8')).toBe(report);
    expect((await readFile(w('courier-out/capture.bin'))).equals(binary)).toBe(true);
    expect(JSON.parse(await readFile(w('courier-out/poisonivy.json'), 'utf8')).type).toBe('bundle');
    // Opening into the same folder again would overwrite: refused without --force.
    const again = await polri.run(['open', w('courier.lintas'), '-o', w('courier-out')]);
    expect(again.code).toBe(2);
    await expectOk(polri.run(['open', w('courier.lintas'), '-o', w('courier-out'), '--force']));
  });

  it('stdin to armored stdout, and back through a pipe', async () => {
    const sealed = await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'RED', '--armor'], { input: 'Target moves tonight.\n' }));
    expect(sealed.stdout).toMatch(/^-----BEGIN LINTAS ENVELOPE-----/);
    expect(sealed.stderr).not.toContain('\r'); // no progress bar when stderr is not a terminal
    const opened = await expectOk(polri.run(['open'], { input: sealed.stdout }));
    expect(opened.stdout).toContain('Target moves tonight.');
    expect(opened.stdout).toContain('TLP:RED');
  });

  it('a binary envelope is not written to a terminal-less stdout with --json, and the rules are checked first', async () => {
    const r = await bin.run(['seal', '--to', 'polri', '--tlp', 'RED', '--json'], { input: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('-o FILE');
  });

  it('not for me exits 3, tampered exits 4, not an envelope exits 7; nothing is written', async () => {
    await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'AMBER', '--amber-org', 'Kepolisian Negara Republik Indonesia', '-o', w('amber.lintas')], { input: 'amber text' }));
    const notMine = await bin.run(['open', w('amber.lintas')]);
    expect(notMine.code).toBe(3);
    expect(notMine.stderr).toContain('ERR_ENVELOPE_NOT_FOR_ME');

    const bytes = await readFile(w('amber.lintas'));
    for (const [name, at] of [['header', 200], ['payload', bytes.length - 10]] as const) {
      const bad = Buffer.from(bytes);
      bad[at]! ^= 0x01;
      await writeFile(w(`tampered-${name}.lintas`), bad);
      const r = await polri.run(['open', w(`tampered-${name}.lintas`), '-o', w(`tampered-${name}-out`)]);
      expect(r.code, name).toBe(4);
      expect(r.stdout).not.toContain('amber text');
      expect(await readdir(w(`tampered-${name}-out`)).catch(() => [])).toEqual([]);
    }
    await writeFile(w('truncated.lintas'), bytes.subarray(0, bytes.length - 40));
    const truncated = await polri.run(['open', w('truncated.lintas')]);
    expect([4, 7]).toContain(truncated.code);
    expect(truncated.stdout).not.toContain('amber text');

    await writeFile(w('garbage.lintas'), 'hello, this is not an envelope');
    const garbage = await polri.run(['open', w('garbage.lintas')]);
    expect(garbage.code).toBe(7);
    expect(garbage.stderr).toContain('ERR_ENVELOPE_MALFORMED');
  });

  it('a handling-rule violation exits 5 and writes nothing; an override with a reason is sealed and recorded', async () => {
    const refused = await bin.run(['seal', '--to', 'polri', '--tlp', 'AMBER+STRICT', '-o', w('strict.lintas')], { input: 'strict' });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('ERR_POLICY_VIOLATION');
    await expect(readFile(w('strict.lintas'))).rejects.toThrow();

    const half = await bin.run(['seal', '--to', 'polri', '--tlp', 'AMBER+STRICT', '--override-reason', 'joint operation'], { input: 'x' });
    expect(half.code).toBe(2);
    const overridden = await bin.json(['seal', '--to', 'polri', '--tlp', 'AMBER+STRICT', '--override-reason', 'Joint operation RAJAWALI', '--authorised-by', 'Deputy Director', '-o', w('strict.lintas')], { input: 'strict' });
    expect(overridden.run.code).toBe(0);
    expect(overridden.value.override).toBe(true);
    const opened = await expectOk(polri.run(['open', w('strict.lintas')]));
    expect(opened.stdout).toContain('Joint operation RAJAWALI');
    const audit = await expectOk(bin.run(['audit', 'show']));
    expect(audit.stdout).toContain('OVERRIDE by Deputy Director: Joint operation RAJAWALI');
  });

  it('unknown recipients and --require-known-sender are refused with their codes', async () => {
    const unknown = await bin.run(['seal', '--to', 'interpol', '--tlp', 'GREEN'], { input: 'x' });
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain('ERR_KEYRING_UNKNOWN_RECIPIENT');
    // A stranger seals to POLRI: POLRI opens it only without --require-known-sender, and warns.
    const stranger = new Cli(script, w('stranger-home'));
    await expectOk(stranger.run(['identity', 'create', 'anon', '--org', 'Unknown', '--country', 'MY']));
    await expectOk(stranger.run(['contact', 'import', w('polri.card'), '--name', 'polri']));
    await expectOk(stranger.run(['seal', '--to', 'polri', '--tlp', 'CLEAR', '-o', w('stranger.lintas')], { input: 'hello' }));
    const strict = await polri.run(['open', w('stranger.lintas'), '--require-known-sender']);
    expect(strict.code).toBe(5);
    expect(strict.stderr).toContain('ERR_UNKNOWN_SENDER');
    const lenient = await expectOk(polri.run(['open', w('stranger.lintas')]));
    expect(lenient.stdout).toContain('WARNING: the originator is unknown');
  });
});

describe('audit trail', () => {
  it('shows the seals and opens, verifies, and catches an edited log (exit 4)', async () => {
    const shown = (await polri.json(['audit', 'show'])).value;
    expect(shown.logs).toHaveLength(1);
    expect(shown.logs[0].ok).toBe(true);
    expect(shown.logs[0].entries.map((e: { event: string }) => e.event)).toContain('opened');
    const file = shown.logs[0].file as string;
    const verified = (await polri.json(['audit', 'verify', file])).value;
    expect(verified.ok).toBe(true);

    const log = await readFile(file);
    const edited = Buffer.from(log);
    edited[Math.floor(log.length / 2)]! ^= 0x20;
    await writeFile(w('edited.log'), edited);
    const broken = await polri.run(['audit', 'verify', w('edited.log')]);
    expect(broken.code).toBe(4);
    expect(broken.stdout).toContain('BROKEN');
    const wrongSigner = await polri.run(['audit', 'verify', file, '--signer', '00'.repeat(32)]);
    expect(wrongSigner.code).toBe(4);
  });
});

describe('rotation and revocation', () => {
  it('POLRI rotates; BIN imports the chain and seals to the new keys; a revoked card is refused', async () => {
    await expectOk(polri.run(['identity', 'rotate', 'polri', '-o', w('polri-rotated.card')]));
    const chain = (await bin.json(['card', 'show', w('polri-rotated.card')])).value as { fingerprint: string }[];
    expect(chain.length).toBe(2);
    expect(chain[0]!.fingerprint).toBe(polriFingerprint);
    const imported = await expectOk(bin.run(['contact', 'import', w('polri-rotated.card')]));
    expect(imported.code).toBe(0);
    const contact = (await bin.json(['contact', 'show', 'polri'])).value;
    expect(contact.card.fingerprint).toBe(chain[1]!.fingerprint);
    expect(contact.verification).toBe('verified'); // the successor is signed by the verified key

    await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '-o', w('after-rotation.lintas')], { input: 'to the new key' }));
    expect((await expectOk(polri.run(['open', w('after-rotation.lintas')]))).stdout).toContain('to the new key');

    await expectOk(polri.run(['identity', 'revoke', 'polri', '--reason', 'key-compromise', '--comment', 'laptop lost', '-o', w('polri.revocation')]));
    await expectOk(bin.run(['contact', 'import', w('polri.revocation')]));
    const revoked = await bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN'], { input: 'x' });
    expect(revoked.code).toBe(5);
    expect(revoked.stderr).toContain('ERR_KEYRING_RECIPIENT_REVOKED');
    expect((await bin.json(['contact', 'list'])).value[0].revoked).toBe('key-compromise');
  });
});
