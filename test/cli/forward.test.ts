/**
 * `lintas forward` (SPEC 12.6) as processes, and `seal` guarding against the way people used to
 * forward: re-sealing a received envelope (which loses the originator and the rules) is warned
 * about, and a STIX bundle given as a plain file is refused with the option to use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cli, buildCli, expectOk, twoAgencies, workFolder } from './cli-kit.js';

const POLRI = 'Kepolisian Negara Republik Indonesia';
const STIX = join(import.meta.dirname, '../fixtures/stix');

let script: string;
let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polri: Cli;
let ops: Cli;
const w = (name: string): string => join(work.dir, name);

beforeAll(async () => {
  script = await buildCli();
  work = await workFolder('forward');
  ({ bin, polri } = await twoAgencies(script, work.dir));
  // POLRI's operations desk: the same organization as POLRI headquarters, a contact of it.
  ops = new Cli(script, w('ops-home'));
  await expectOk(ops.run(['identity', 'create', 'ops', '--org', POLRI, '--country', 'ID']));
  await expectOk(ops.run(['identity', 'export', 'ops', '-o', w('ops.card')]));
  const opsFingerprint = (await ops.json(['card', 'show', w('ops.card')])).value[0].fingerprint as string;
  await expectOk(polri.run(['contact', 'import', w('ops.card'), '--name', 'ops', '--fingerprint', opsFingerprint]));
  await expectOk(ops.run(['contact', 'import', w('polri.card'), '--name', 'polri-hq']));
  await expectOk(ops.run(['contact', 'import', w('bin.card'), '--name', 'bin']));
}, 300_000);
afterAll(async () => {
  await work.remove();
});

describe('lintas forward', () => {
  it('forwards inside the organization with a forward record: the reader sees the originator and the forwarder', async () => {
    await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'AMBER', '--amber-org', POLRI, '--title', 'Watch list', '-o', w('amber.lintas')], { input: 'three names' }));
    const f = await polri.json(['forward', w('amber.lintas'), '--to', 'ops', '-o', w('amber-ops.lintas')]);
    expect(f.run.code).toBe(0);
    expect(f.value.originator.name).toBe('bin');
    expect(f.value.to.map((t: { name: string }) => t.name)).toEqual(['ops']);

    const opened = await ops.json(['open', w('amber-ops.lintas')]);
    expect(opened.run.code).toBe(0);
    expect(opened.value.forwarded).toBe(true);
    expect([opened.value.originator.name, opened.value.sender.name]).toEqual(['bin', 'polri']);
    expect(opened.value.items[0].text).toBe('three names');
    const text = await expectOk(ops.run(['open', w('amber-ops.lintas')]));
    expect(text.stdout).toMatch(/From: bin .*forwarded by polri-hq/);

    const audit = (await polri.json(['audit', 'show'])).value.logs[0].entries as { event: string; toNames?: string[] }[];
    expect(audit.find((e) => e.event === 'forwarded')?.toNames).toEqual(['ops']);
  });

  it('TLP:RED is never forwarded: exit 5, nothing written, even with an override', async () => {
    await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'RED', '-o', w('red.lintas')], { input: 'eyes only' }));
    for (const extra of [[], ['--override-reason', 'urgent', '--authorised-by', 'Kapolri']]) {
      const r = await polri.run(['forward', w('red.lintas'), '--to', 'ops', '-o', w('red-ops.lintas'), ...extra]);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('ERR_POLICY_VIOLATION');
    }
    expect((await readdir(work.dir)).filter((n) => n.includes('red-ops'))).toEqual([]);
  });

  it('only a recipient can forward: an envelope not for you exits 3 and writes nothing', async () => {
    await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '-o', w('own.lintas')], { input: 'mine' }));
    const r = await ops.run(['forward', w('own.lintas'), '--to', 'bin', '-o', w('own-again.lintas')]);
    expect(r.code).toBe(3);
    expect((await readdir(work.dir)).filter((n) => n.includes('own-again'))).toEqual([]);
  });
});

describe('seal guards against forwarding by re-sealing', () => {
  it('warns when an input file is a lintas envelope or armored block, and says to use forward', async () => {
    await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '-o', w('inner.lintas')], { input: 'inner' }));
    const r = await polri.json(['seal', w('inner.lintas'), '--to', 'ops', '--tlp', 'GREEN', '-o', w('resealed.lintas')]);
    expect(r.run.code).toBe(0);
    expect(r.run.stderr).toContain('WARNING');
    expect(r.run.stderr).toContain('lintas forward');
    expect(r.value.warnings).toHaveLength(1);
    await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '--armor', '-o', w('inner.asc')], { input: 'inner' }));
    const armored = await polri.run(['seal', w('inner.asc'), '--to', 'ops', '--tlp', 'GREEN', '-o', w('resealed2.lintas')]);
    expect(armored.stderr).toContain('lintas forward');
  });

  it('refuses a STIX bundle given without --stix (exit 2), and names the option', async () => {
    const r = await bin.run(['seal', join(STIX, 'poisonivy.json'), '--to', 'polri', '--tlp', 'GREEN', '-o', w('plain-stix.lintas')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--stix');
    const piped = await bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '-o', w('piped-stix.lintas')], { input: await readFile(join(STIX, 'poisonivy.json')) });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('--stix');
    await writeFile(w('notes.json'), JSON.stringify({ type: 'note', text: 'not STIX' }));
    await expectOk(bin.run(['seal', w('notes.json'), '--to', 'polri', '--tlp', 'GREEN', '-o', w('notes.lintas')]));
  });
});
