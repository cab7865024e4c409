/**
 * examples/tip-line.ts run as a user runs it: anonymous tips sealed to the desk's published card
 * with hidden recipients and padding, refused unless the desk allows anonymous envelopes, read
 * once each (a reposted copy is refused), and nothing left on disk.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineStartingWith, runExample, type ExampleRun } from './run-example.js';

let tmp: string;
let run: ExampleRun;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lintas-tip-test-'));
  run = await runExample('tip-line.ts', [], { TMPDIR: tmp });
}, 60_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('examples/tip-line.ts', () => {
  it('exits 0 and removes the relay storage it created', async () => {
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(tmp)).filter((f) => f.startsWith('lintas-'))).toEqual([]);
  });

  it('sends tips of one padded size whose stanzas name nobody', () => {
    const sizes = ['citizen 1', 'citizen 2'].map((who) => /-> sent a (\d+)-byte envelope$/.exec(lineStartingWith(run, who))![1]);
    expect(sizes[0]).toBe(sizes[1]); // two tips of different lengths, padded to one size
    expect(lineStartingWith(run, 'relay ')).toBe('relay     holds 3 envelopes: hidden recipients, 4 X-Wing stanzas, 0 with a recipient id');
  });

  it('refuses anonymous envelopes unless the desk allows them, then reads each tip once', () => {
    expect(lineStartingWith(run, 'desk      (opened without allowAnonymous')).toBe('desk      (opened without allowAnonymous: ERR_ENVELOPE_ANONYMOUS)');
    expect(run.lines.filter((l) => l.startsWith('desk      <- '))).toEqual([
      'desk      <- anonymous tip: "A boat unloads smuggled fuel at Pelabuhan Ratu every Tuesday around 02:00."',
      'desk      <- anonymous tip: "The shophouse at Jl. Melati 12 runs an online gambling site; the servers are upstairs."',
      'desk      <- refused: ERR_REPLAY_DETECTED',
    ]);
    expect(lineStartingWith(run, 'desk      processed')).toBe('desk      processed 2 tips, refused 1');
  });
});
