/**
 * examples/rotation-revocation.ts run as a user runs it: the receiver follows a rotation
 * (verified kept, old envelopes still open), refuses a forged second successor, refuses to seal
 * to a revoked card with its code, flags what the compromised card signed, and follows the
 * recovery rotation only once the fingerprint compared out of band is given.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { lineStartingWith, runExample, type ExampleRun } from './run-example.js';

let run: ExampleRun;
beforeAll(async () => {
  run = await runExample('rotation-revocation.ts');
}, 60_000);

/** Card fingerprints are shown as their first two groups. */
const cardIn = (line: string, after: string): string => new RegExp(`${after}(\\d{5} \\d{5})\\.\\.\\.`).exec(line)![1]!;

describe('examples/rotation-revocation.ts', () => {
  it('exits 0', () => {
    expect(run.code, run.stderr).toBe(0);
  });

  it('follows the scheduled rotation: same contact, still verified, new card; old envelopes still open', () => {
    const first = cardIn(lineStartingWith(run, 'BIN   knows PDRM'), 'card ');
    const second = cardIn(lineStartingWith(run, 'PDRM  -> new card ', ', signed by the old key'), 'new card ');
    expect(second).not.toBe(first);
    expect(lineStartingWith(run, 'BIN   <- imported: rotated;')).toBe(`BIN   <- imported: rotated; contact "PDRM" now card ${second}... (verified)`);
    expect(lineStartingWith(run, 'PDRM  <- "New target list')).toMatch(/\(sealed to the new card\)$/);
    expect(lineStartingWith(run, 'PDRM  <- "Meeting in Johor Bahru confirmed."')).toMatch(/before the rotation\)$/);
    expect(lineStartingWith(run, 'BIN   <- envelope signed by the old card')).toBe('BIN   <- envelope signed by the old card: from PDRM (verified), superseded true');
  });

  it('refuses the forged successor and, after the revocation, sealing to the revoked card', () => {
    expect(lineStartingWith(run, 'BIN   <- refused:')).toBe('BIN   <- refused: ERR_KEYCARD_SUCCESSION_CONFLICT');
    expect(lineStartingWith(run, 'BIN   <- imported the revocation')).toMatch(/sealing to PDRM now: ERR_KEYRING_RECIPIENT_REVOKED$/);
    expect(lineStartingWith(run, 'BIN   <- an envelope the revoked card signed earlier')).toContain(': revoked true');
  });

  it('follows the recovery rotation only with the fingerprint compared out of band, then seals again', () => {
    const recovery = run.lines.filter((l) => l.startsWith('PDRM  -> new card ')).at(-1)!;
    expect(recovery).toMatch(/^PDRM  -> new card \d{5} \d{5}\.\.\.$/);
    expect(lineStartingWith(run, 'BIN   <- without a fingerprint')).toMatch(/^BIN   <- without a fingerprint: ERR_KEYCARD_SUCCESSION_INVALID /);
    expect(lineStartingWith(run, 'BIN   <- with the fingerprint')).toBe('BIN   <- with the fingerprint compared over the phone: rotated, verified');
    expect(run.lines.at(-1)).toBe('PDRM  <- "Glad to have you back."');
  });
});
