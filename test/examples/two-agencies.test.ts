/**
 * `npm run demo` (examples/two-agencies.ts), run as a user runs it: key rings with verified
 * cards, a bundle through the drop folder with a replayed copy refused, a forward refused by the
 * handling rules, the same over the relay, and audit logs that verify; then what it leaves on disk.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../src/index.js';
import { FileKeyRingStorage, verifyAuditLog } from '../../src/node.js';
import { lineStartingWith, runExample, type ExampleRun } from './run-example.js';

const FINGERPRINT = /^\d{5}( \d{5}){7}$/;

let tmp: string;
let run: ExampleRun;
let kept: string;
beforeAll(async () => {
  // The demo works in os.tmpdir(); a private TMPDIR shows what it leaves behind.
  tmp = await mkdtemp(join(tmpdir(), 'lintas-demo-test-'));
  run = await runExample('two-agencies.ts', ['--keep'], { TMPDIR: tmp });
  kept = lineStartingWith(run, 'kept everything in ').slice('kept everything in '.length);
}, 60_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('examples/two-agencies.ts', () => {
  it('exits 0 and tells the exchange step by step', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(lineStartingWith(run, 'BIN   card fingerprint').split(/ {3}/).at(-1)).toMatch(FINGERPRINT);
    expect(lineStartingWith(run, 'POLRI imported BIN')).toMatch(/: verified$/);
    expect(lineStartingWith(run, 'BIN   imported POLRI')).toMatch(/: verified$/);
    expect(lineStartingWith(run, 'disk  mailbox')).toMatch(/: 4 X-Wing stanzas, \d+ encrypted bytes$/);
    expect(lineStartingWith(run, 'POLRI <- "Courier')).toContain('from BIN (verified), TLP:AMBER RAHASIA REL TO ID, 2 items');
    expect(lineStartingWith(run, 'POLRI <- "TLP:AMBER - Suspected courier')).toContain('GA-881');
    expect(lineStartingWith(run, 'POLRI <- STIX 2.1:')).toMatch(/77 objects .*marked TLP:AMBER$/);
  });

  it('processes the replayed copy once and refuses the forward abroad with the policy code', () => {
    expect(lineStartingWith(run, 'POLRI <- refused')).toBe('POLRI <- refused a second copy: ERR_REPLAY_DETECTED');
    expect(lineStartingWith(run, 'POLRI -> PDRM refused:')).toBe('POLRI -> PDRM refused: ERR_POLICY_VIOLATION (tlp-amber-forward-organization, releasability)');
  });

  it('delivers the update over the relay from the verified sender', () => {
    expect(lineStartingWith(run, 'relay listening on ')).toMatch(/^relay listening on http:\/\/127\.0\.0\.1:\d+,/);
    expect(lineStartingWith(run, 'POLRI <- "Update: courier moved to GA-883" from BIN (verified)')).toMatch(/\d+ ms after it was sent$/);
    expect(lineStartingWith(run, 'POLRI <- "TLP:AMBER - Courier rebooked')).toContain('GA-883');
    // BIN's line comes before POLRI's: it really went through the relay after POLRI was listening.
    expect(run.lines.findIndex((l) => l.startsWith('BIN   -> sent an update'))).toBeLessThan(run.lines.findIndex((l) => l.startsWith('POLRI <- "Update')));
  });

  it('reports audit logs that verify, with the events of each side', () => {
    expect(lineStartingWith(run, 'BIN   audit log')).toBe('BIN   audit log verifies: sealed, sent, sealed, sent');
    // The replayed copy was opened (then refused as a replay) before anything was received twice.
    expect(lineStartingWith(run, 'POLRI audit log')).toBe('POLRI audit log verifies: opened, received, opened, opened, received');
  });

  it('leaves encrypted key rings with verified contacts, signed audit logs without contents, an empty mailbox and a replay log', async () => {
    const polri = await KeyRing.open(new FileKeyRingStorage(join(kept, 'polri', 'keyring.lintas')), { passphrase: 'demo passphrase of POLRI' });
    expect(polri.contacts().map((c) => [c.name, c.organization, c.country, c.verification])).toEqual([
      ['BIN', 'Badan Intelijen Negara', 'ID', 'verified'],
      ['PDRM', 'Polis Diraja Malaysia', 'MY', 'verified'],
    ]);
    const polriSigning = polri.identity('POLRI').card.signingPublicKey;
    polri.close();
    const ringBytes = await readFile(join(kept, 'polri', 'keyring.lintas'));
    expect(ringBytes.includes('Badan Intelijen')).toBe(false);

    const log = await verifyAuditLog(join(kept, 'polri', 'audit.log'), { signer: polriSigning });
    expect(log.ok).toBe(true);
    const logBytes = await readFile(join(kept, 'polri', 'audit.log'));
    for (const secret of ['Courier', 'GA-881', 'report.txt', 'apt1']) expect(logBytes.includes(secret)).toBe(false);

    const [mailbox, ...others] = await readdir(join(kept, 'drop-folder'));
    expect(others).toEqual([]);
    expect(await readdir(join(kept, 'drop-folder', mailbox!, 'new'))).toEqual([]);
    expect(await readdir(join(kept, 'drop-folder', mailbox!, 'cur'))).toEqual([]);
    // Header (44 bytes) and one 28-byte record per envelope processed: the folder one and the relay one.
    expect((await stat(join(kept, 'polri', 'replay.log'))).size).toBe(44 + 2 * 28);
  });

  it('cleans up after itself without --keep', async () => {
    const clean = await mkdtemp(join(tmp, 'clean-'));
    const again = await runExample('two-agencies.ts', [], { TMPDIR: clean });
    expect(again.code, again.stderr).toBe(0);
    expect(again.lines.some((l) => l.startsWith('kept everything'))).toBe(false);
    // (tsx keeps its compile cache there too.)
    expect((await readdir(clean)).filter((f) => f.startsWith('lintas-'))).toEqual([]);
  }, 60_000);
});
