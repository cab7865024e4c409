/**
 * The smaller things a new user hit (issue 13), as processes: missing files named with their
 * argument, the CLI's option names in messages, an incomplete fingerprint called incomplete,
 * expiry and revocation in `contact list`, `inspect` refusing a malformed header and saying how
 * many stanzas may be padding, a STIX marking conflict exiting 5, `--rel-to` checked against ISO
 * 3166, `keyring passphrase`; and the passphrase prompt asking again (in-process with a fake
 * terminal: the machines the suite runs on have no pseudo-terminal tool).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { Cli, buildCli, expectOk, twoAgencies, workFolder } from './cli-kit.js';
import { main } from '../../src/cli/main.js';
import { splitEnvelope, reassemble } from '../envelope/envelope-kit.js';
import { cryptoReady } from '../../src/crypto/sodium.js';

const STIX = join(import.meta.dirname, '../fixtures/stix');

let script: string;
let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polri: Cli;
let polriFingerprint: string;
const w = (name: string): string => join(work.dir, name);

beforeAll(async () => {
  script = await buildCli();
  work = await workFolder('usability');
  ({ bin, polri, polriFingerprint } = await twoAgencies(script, work.dir));
}, 300_000);
afterAll(async () => {
  await work.remove();
});

describe('messages a person can act on', () => {
  it('a missing file or a folder is named with its argument, never a bare ENOENT or EISDIR', async () => {
    const stix = await bin.run(['seal', '--stix', w('iocs.jsn'), '--to', 'polri', '--tlp', 'GREEN', '-o', w('x.lintas')]);
    expect(stix.code).toBe(1);
    expect(stix.stderr).toContain(`--stix FILE "${w('iocs.jsn')}" does not exist`);
    expect(stix.stderr).toContain('ERR_USAGE_FILE');
    await mkdir(w('a-folder'), { recursive: true });
    const folder = await polri.run(['open', w('a-folder')]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toContain(`FILE "${w('a-folder')}" is a folder`);
    expect(folder.stderr).not.toMatch(/\bE(NOENT|ISDIR)\b/);
  });

  it('option names in messages are the command line\'s, not the library\'s', async () => {
    const country = await bin.run(['identity', 'create', 'second', '--org', 'BIN', '--country', 'XX']);
    expect(country.code).toBe(2);
    expect(country.stderr).toContain('--country');
    const name = await bin.run(['contact', 'import', w('polri.card'), '--name', '']);
    expect(name.stderr).toContain('--name');
    for (const r of [country, name]) expect(r.stderr).not.toMatch(/\b(options|params)\./);
  });

  it('a fingerprint of four groups is incomplete (exit 2), not an impersonation (exit 4)', async () => {
    const four = polriFingerprint.split(' ').slice(0, 4).join(' ');
    const r = await bin.run(['contact', 'import', w('polri.card'), '--name', 'polri-again', '--fingerprint', four]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('incomplete');
    expect(r.stderr).toContain('4 of 8 groups');
    expect(r.stderr).not.toMatch(/impersonat/);
    const verify = await bin.run(['contact', 'verify', 'polri', four]);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toContain('incomplete');
  });

  it('--rel-to refuses a two-letter code that is not an ISO 3166 country', async () => {
    const r = await bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '--rel-to', 'ID,UK', '-o', w('rel.lintas')], { input: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--rel-to UK');
    expect(r.stderr).toContain('GB');
    await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '--rel-to', 'ID,MY,INTERPOL', '-o', w('rel.lintas')], { input: 'x' }));
  });

  it('STIX content marked more restrictively than --tlp is a handling refusal: exit 5, ERR_BUNDLE_MARKING_CONFLICT', async () => {
    const r = await bin.run(['seal', '--stix', join(STIX, 'using-marking-definitions.json'), '--to', 'polri', '--tlp', 'GREEN', '-o', w('conflict.lintas')]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('ERR_BUNDLE_MARKING_CONFLICT');
  });
});

describe('contacts show expiry and revocation', () => {
  it('contact list and show print the validity and a revoked card; --json has validUntil and expired', async () => {
    const list = await expectOk(bin.run(['contact', 'list']));
    expect(list.stdout).toMatch(/polri .* valid until \d{4}-\d{2}-\d{2}/);
    const json = (await bin.json(['contact', 'show', 'polri'])).value;
    expect(json.expired).toBe(false);
    expect(Date.parse(json.validUntil)).toBeGreaterThan(Date.now());

    await expectOk(polri.run(['identity', 'revoke', 'polri', '--reason', 'superseded', '--prepare', '-o', w('polri.revocation')]));
    await expectOk(bin.run(['contact', 'import', w('polri.revocation')]));
    const after = await expectOk(bin.run(['contact', 'show', 'polri']));
    expect(after.stdout).toMatch(/REVOKED \(superseded, \d{4}-\d{2}-\d{2}\)/);
  });
});

describe('inspect', () => {
  it('says how many stanzas may be padding', async () => {
    await expectOk(polri.run(['seal', '--to', 'bin', '--tlp', 'GREEN', '-o', w('padded.lintas')], { input: 'x' }));
    const padded = await polri.json(['inspect', w('padded.lintas')]);
    expect(padded.value.padding).toEqual([{ type: 'X-Wing', stanzas: 4, recipients: { min: 1, max: 4 }, paddingMax: 3 }]);
    expect((await polri.run(['inspect', w('padded.lintas')])).stdout).toContain('0 to 3 may be padding');
    await expectOk(polri.run(['seal', '--to', 'bin', '--tlp', 'GREEN', '--no-padding', '-o', w('unpadded.lintas')], { input: 'x' }));
    expect((await polri.run(['inspect', w('unpadded.lintas')])).stdout).toContain('none of them padding');
  });

  it('exits 7 on a header a receiver would refuse (a stanza of the wrong shape)', async () => {
    await cryptoReady();
    const parts = splitEnvelope(new Uint8Array(await readFile(w('padded.lintas'))));
    const stanzas = parts.header.stanzas.map((s, i) => (i === 0 ? { ...s, body: s.body.subarray(0, s.body.length - 1) } : s));
    await writeFile(w('bad-stanza.lintas'), reassemble({ ...parts.header, stanzas }, new Uint8Array(32), parts.chunks));
    const r = await polri.run(['inspect', w('bad-stanza.lintas')]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('ERR_ENVELOPE_MALFORMED');
  });
});

describe('keyring passphrase', () => {
  it('re-keys the key ring: the old passphrase no longer opens it, the new one does; a short one is refused', async () => {
    const home = w('rekey-home');
    const old = new Cli(script, home, 'first passphrase');
    await expectOk(old.run(['identity', 'create', 'desk', '--org', 'BIN', '--country', 'ID']));
    const short = await old.run(['keyring', 'passphrase'], { env: { LINTAS_NEW_PASSPHRASE: 'short' } });
    expect(short.code).toBe(2);
    await expectOk(old.run(['keyring', 'passphrase'], { env: { LINTAS_NEW_PASSPHRASE: 'second passphrase' } }));
    const refused = await old.run(['identity', 'list']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('ERR_KEYRING_WRONG_PASSPHRASE');
    const renewed = new Cli(script, home, 'second passphrase');
    expect((await renewed.json(['identity', 'list'])).value[0].name).toBe('desk');
  });
});

/** A terminal that answers each prompt written to stderr with the next line. */
class AnsweringTty extends EventEmitter {
  isTTY = true;
  setRawMode(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
}

describe('the new-passphrase prompt', () => {
  it('asks again after a short entry and after a mismatch, then creates the key ring', async () => {
    const answers = ['short', 'long enough 1', 'long enough 2', 'long enough 1', 'long enough 1'];
    const stdin = new AnsweringTty();
    let said = '';
    const stderr = new Writable({
      write(chunk: Buffer, _enc, done) {
        said += chunk.toString();
        if (/: $/.test(chunk.toString())) setImmediate(() => stdin.emit('data', Buffer.from(`${answers.shift()}\r`)));
        done();
      },
    }) as Writable & { isTTY: boolean };
    stderr.isTTY = true;
    const stdout = new PassThrough();
    const home = w('prompt-home');
    const code = await main(['identity', 'create', 'desk', '--org', 'BIN', '--country', 'ID', '--home', home], { stdin: stdin as unknown as NodeJS.ReadStream, stdout, stderr, env: {} });
    expect(code).toBe(0);
    expect(answers).toEqual([]);
    expect(said).toContain('at least 8 characters; try again (2 more attempts)');
    expect(said).toContain('The two passphrases differ; try again (1 more attempt)');
    expect((await new Cli(script, home, 'long enough 1').json(['identity', 'list'])).value[0].name).toBe('desk');
  });
});
