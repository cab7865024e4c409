/**
 * examples/multinational.ts run as a user runs it: REL TO refuses the non-releasable recipient
 * with the policy code, selective release makes one envelope per release group, each partner
 * reads only its own items, and an override is visible to the one recipient it concerns.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { lineStartingWith, runExample, type ExampleRun } from './run-example.js';

let run: ExampleRun;
beforeAll(async () => {
  run = await runExample('multinational.ts');
}, 60_000);

/** The lines after the one starting with `heading`, up to the next "== " heading. */
function section(heading: string): string[] {
  const start = run.lines.findIndex((l) => l.startsWith(heading));
  if (start < 0) throw new Error(`no section "${heading}" in:\n${run.stdout}`);
  const rest = run.lines.slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith('== '));
  return end < 0 ? rest : rest.slice(0, end);
}

describe('examples/multinational.ts', () => {
  it('exits 0', () => {
    expect(run.code, run.stderr).toBe(0);
  });

  it('refuses the whole group with ERR_POLICY_VIOLATION, naming only the non-releasable FBI', () => {
    expect(section('== 1.')).toEqual([
      'BIN      refused: ERR_POLICY_VIOLATION',
      '         releasability: FBI (Federal Bureau of Investigation, US)',
    ]);
  });

  it('seals one envelope per release group, each with only its items', () => {
    const lines = section('== 2.').map((l) => l.replace(/ \(\d+ bytes\)$/, ''));
    expect(lines).toEqual([
      'BIN      -> PDRM: assessment.txt, indicators.json, informant-notes.txt',
      'BIN      -> ISD, AFP, INTERPOL: assessment.txt, indicators.json, payment-trail.csv',
    ]);
  });

  it('lets each partner read only what was released to it; the other envelope does not open for it', () => {
    const markings = 'TLP:GREEN TERBATAS REL TO AU, ID, MY, SG, INTERPOL from BIN';
    expect(lineStartingWith(run, 'PDRM     <- ')).toBe(`PDRM     <- ${markings}: assessment.txt, indicators.json, informant-notes.txt`);
    for (const name of ['ISD', 'AFP', 'INTERPOL']) {
      expect(lineStartingWith(run, `${name.padEnd(8)} <- `)).toBe(`${name.padEnd(8)} <- ${markings}: assessment.txt, indicators.json, payment-trail.csv`);
    }
    const refusals = section('== 3.').filter((l) => l.startsWith('         the envelope for'));
    expect(refusals).toHaveLength(4);
    for (const l of refusals) expect(l).toMatch(/: does not open, ERR_ENVELOPE_NOT_FOR_ME$/);
  });

  it('shows the FBI the override that let its copy through, and no item outside its release', () => {
    expect(lineStartingWith(run, 'FBI      <- ')).toBe('FBI      <- assessment.txt, indicators.json');
    expect(section('== 4.')[1]).toBe(
      '         override by "Deputy Director BIN, order 17/2026": releasability lifted ("FBI liaison joins the operation against the crew\'s US wallets")',
    );
  });
});
