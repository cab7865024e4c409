/**
 * The CLI must not undo what the library knows (issue 13), as processes:
 * - `open` of a bundle sealed with a revoked key prints every key ring flag as a WARNING, lists
 *   it in --json, and `--strict` refuses it (exit 5) before anything is saved; `receive` is
 *   strict by default, quarantines it and records a `refused` audit entry.
 * - the co-recipient burn attack on `receive`: a co-recipient who read a genuine envelope's id
 *   sends its own envelope with that id; the genuine one must still be received, and neither is
 *   saved over the other.
 * - `audit show` names the parties of sent, received and refused entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cli, buildCli, expectOk, twoAgencies, workFolder } from './cli-kit.js';
import { KeyRing } from '../../src/keyring/index.js';
import { FileKeyRingStorage } from '../../src/keyring/file-storage.js';
import { open as openEnvelope } from '../../src/envelope/index.js';
import { BUNDLE_CONTENT_TYPE } from '../../src/bundle/constants.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { writeFile } from 'node:fs/promises';
import { forgeEnvelope, readMeta, sealWithSecrets, signEnvelope, splitEnvelope } from '../envelope/envelope-kit.js';

let script: string;
let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polri: Cli;
let bnpt: Cli;
const w = (name: string): string => join(work.dir, name);

beforeAll(async () => {
  script = await buildCli();
  work = await workFolder('trust');
  ({ bin, polri } = await twoAgencies(script, work.dir));
  // A third agency, a co-recipient of BIN's reports to POLRI, known to both.
  bnpt = new Cli(script, w('bnpt-home'));
  await expectOk(bnpt.run(['identity', 'create', 'bnpt', '--org', 'Badan Nasional Penanggulangan Terorisme', '--country', 'ID']));
  await expectOk(bnpt.run(['identity', 'export', 'bnpt', '-o', w('bnpt.card')]));
  const bnptFingerprint = (await bnpt.json(['card', 'show', w('bnpt.card')])).value[0].fingerprint as string;
  await expectOk(bin.run(['contact', 'import', w('bnpt.card'), '--name', 'bnpt', '--fingerprint', bnptFingerprint]));
  await expectOk(polri.run(['contact', 'import', w('bnpt.card'), '--name', 'bnpt', '--fingerprint', bnptFingerprint]));
  await expectOk(bnpt.run(['contact', 'import', w('polri.card'), '--name', 'polri']));
  await expectOk(bnpt.run(['contact', 'import', w('bin.card'), '--name', 'bin']));
}, 300_000);
afterAll(async () => {
  await work.remove();
});

describe('attack: a co-recipient burns a genuine envelope id at receive', () => {
  /** BNPT's own bundle to POLRI, re-made by hand to carry `id` (BNPT signs it: it is a genuine BNPT envelope). */
  async function squatter(id: Uint8Array, text: string): Promise<Uint8Array> {
    await expectOk(bnpt.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '--title', 'decoy', '-o', w('decoy.lintas')], { input: text }));
    const polriRing = await KeyRing.open(new FileKeyRingStorage(join(polri.home, 'keyring.lintas')), { passphrase: polri.passphrase! });
    const bnptRing = await KeyRing.open(new FileKeyRingStorage(join(bnpt.home, 'keyring.lintas')), { passphrase: bnpt.passphrase! });
    try {
      const me = polriRing.identityKeys('polri');
      // The bundle payload of BNPT's envelope (what any recipient of it sees)...
      const { payload } = await openEnvelope(new Uint8Array(await readFile(w('decoy.lintas'))), { keys: [me.xwing] });
      const carol = bnptRing.identityKeys('bnpt');
      // ...sealed again by BNPT to POLRI's X-Wing key, with the genuine envelope's id in its meta block.
      const own = await sealWithSecrets(payload, { recipients: [me.xwing], sender: carol.signing, contentType: BUNDLE_CONTENT_TYPE });
      const parts = splitEnvelope(own.envelope);
      const meta = { ...readMeta(own.keys, parts.header), id, len: payload.length };
      const base = { fileKey: own.fileKey, salt: own.salt, stanzas: parts.header.stanzas, chunkExponent: parts.header.chunkExponent, meta };
      const { prefixAndHeader } = forgeEnvelope({ ...base, plaintext: payload });
      return forgeEnvelope({ ...base, plaintext: concatBytes(payload, signEnvelope(carol.signing, prefixAndHeader, payload)) }).envelope;
    } finally {
      polriRing.close();
      bnptRing.close();
    }
  }

  /** BIN seals to POLRI and BNPT; BNPT opens its copy and learns the envelope id. */
  async function genuine(name: string, text: string): Promise<{ file: string; id: string }> {
    const file = w(`${name}.lintas`);
    await expectOk(bin.run(['seal', '--to', 'polri', '--to', 'bnpt', '--tlp', 'GREEN', '--title', name, '-o', file], { input: text }));
    const opened = await bnpt.json(['open', file]);
    expect(opened.run.code).toBe(0);
    return { file, id: opened.value.envelopeId as string };
  }

  async function inbox(dir: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const d of (await readdir(w(dir))).filter((n) => n !== 'rejected' && !n.startsWith('.'))) out[d] = await readFile(join(w(dir), d, 'message.txt'), 'utf8');
    return out;
  }

  it('the squatter arrives first: the genuine envelope is still received, not refused as a replay', async () => {
    const order = await genuine('order-1', "BIN's order: hold position");
    await writeFile(w('squat-1.lintas'), await squatter(Buffer.from(order.id, 'hex'), "BNPT's decoy: stand down"));
    const drop = `drop:${w('drop-burn-1')}`;
    await expectOk(bnpt.run(['send', w('squat-1.lintas'), '--to', 'polri', '--via', drop]));
    expect((await polri.json(['receive', '--via', drop, '-o', w('inbox-burn-1')])).value.processed).toBe(1);
    await expectOk(bin.run(['send', order.file, '--to', 'polri', '--via', drop]));
    const r = await polri.json(['receive', '--via', drop, '-o', w('inbox-burn-1')]);
    expect(r.value.rejected).toEqual([]);
    expect(r.run.code).toBe(0);
    expect(r.value.processed).toBe(1);
    const saved = Object.values(await inbox('inbox-burn-1'));
    expect(saved.sort()).toEqual(["BIN's order: hold position", "BNPT's decoy: stand down"]);
  });

  it('the squatter arrives second: it is saved beside the genuine bundle, never over it', async () => {
    const order = await genuine('order-2', "BIN's order: evacuate");
    await writeFile(w('squat-2.lintas'), await squatter(Buffer.from(order.id, 'hex'), "BNPT's decoy: stay"));
    const drop = `drop:${w('drop-burn-2')}`;
    await expectOk(bin.run(['send', order.file, '--to', 'polri', '--via', drop]));
    expect((await polri.json(['receive', '--via', drop, '-o', w('inbox-burn-2')])).value.processed).toBe(1);
    await expectOk(bnpt.run(['send', w('squat-2.lintas'), '--to', 'polri', '--via', drop]));
    await expectOk(polri.run(['receive', '--via', drop, '-o', w('inbox-burn-2')]));
    const saved = await inbox('inbox-burn-2');
    expect(Object.values(saved).sort()).toEqual(["BIN's order: evacuate", "BNPT's decoy: stay"]);
    // Both folders start with the same envelope id; the sealer's key id tells them apart.
    expect(Object.keys(saved).every((d) => d.startsWith(order.id))).toBe(true);
  });
});

// Runs last: it revokes BIN's key at POLRI.
describe('key ring warnings are shown, and refused when strict', () => {
  let envelope: string;
  beforeAll(async () => {
    // BIN's key was stolen: BIN signed a revocation in advance, POLRI has imported it. The thief
    // (here: BIN's own key ring, where the revocation is not applied) still seals with the key.
    await expectOk(bin.run(['identity', 'revoke', 'bin', '--reason', 'key-compromise', '--prepare', '-o', w('bin.revocation')]));
    await expectOk(polri.run(['contact', 'import', w('bin.revocation')]));
    envelope = w('from-stolen-key.lintas');
    await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '--title', 'stolen', '-o', envelope], { input: 'transfer the funds' }));
  }, 120_000);

  it('open prints each flag as a WARNING and lists it in --json (it used to say [verified] and nothing else)', async () => {
    const text = await expectOk(polri.run(['open', envelope]));
    expect(text.stdout).toContain('WARNING');
    expect(text.stdout).toContain('[senderRevoked]');
    expect(text.stdout).toContain('[originatorRevoked]');
    const { value } = await polri.json(['open', envelope]);
    expect(value.warnings.map((x: { flag: string }) => x.flag)).toEqual(expect.arrayContaining(['senderRevoked', 'originatorRevoked']));
  });

  it('open --strict refuses it with exit 5 and saves nothing', async () => {
    const r = await polri.run(['open', envelope, '--strict', '-o', w('strict-out')]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('ERR_BUNDLE_UNTRUSTED');
    expect(r.stderr).toContain('senderRevoked');
    expect(await readdir(w('strict-out')).then((f) => f.filter((n) => !n.startsWith('.')))).toEqual([]);
    const printed = await polri.run(['open', envelope, '--strict']);
    expect(printed.code).toBe(5);
    expect(printed.stdout).not.toContain('transfer the funds');
  });

  it('receive is strict by default: quarantined, exit 5, a refused audit entry; --no-strict takes it with the warnings', async () => {
    const drop = `drop:${w('drop-strict')}`;
    await expectOk(bin.run(['send', envelope, '--to', 'polri', '--via', drop]));
    const strict = await polri.json(['receive', '--via', drop, '-o', w('inbox-strict')]);
    expect(strict.run.code).toBe(5);
    expect(strict.value.rejected.map((r: { code: string }) => r.code)).toEqual(['ERR_BUNDLE_UNTRUSTED']);
    expect((await readdir(w('inbox-strict/rejected'))).some((f) => f.endsWith('.lintas'))).toBe(true);

    await expectOk(bin.run(['send', envelope, '--to', 'polri', '--via', drop]));
    const lenient = await polri.json(['receive', '--via', drop, '--no-strict', '-o', w('inbox-lenient')]);
    expect(lenient.run.code).toBe(0);
    expect(lenient.value.received[0].warnings.map((x: { flag: string }) => x.flag)).toContain('senderRevoked');

    const audit = (await polri.json(['audit', 'show'])).value.logs[0].entries as { event: string; reason?: string; transport?: string; fromName?: string }[];
    expect(audit.filter((e) => e.event === 'refused').map((e) => e.reason)).toEqual(['ERR_BUNDLE_UNTRUSTED']);
    const received = audit.filter((e) => e.event === 'received').at(-1)!;
    expect([received.transport, received.fromName]).toEqual([drop, 'bin']);
    const sent = (await bin.json(['audit', 'show'])).value.logs[0].entries.filter((e: { event: string; transport?: string }) => e.event === 'sent' && e.transport === drop);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ transport: drop, toNames: ['polri'] });
    const shown = await expectOk(polri.run(['audit', 'show']));
    expect(shown.stdout).toMatch(/refused .*reason ERR_BUNDLE_UNTRUSTED/);
    expect(shown.stdout).toMatch(/received .*from bin \[\d{5} /);
  });
});
