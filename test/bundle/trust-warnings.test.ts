/**
 * trustWarnings is generic over the key ring's report: every raised flag is a warning, including
 * flags the library adds later (a CLI that prints "every warning" must not need a change), and
 * refuseTrustWarnings names them all in ERR_BUNDLE_UNTRUSTED.
 */
import { describe, expect, it } from 'vitest';
import { refuseTrustWarnings, trustWarnings } from '../../src/bundle/trust-warnings.js';
import { LintasError } from '../../src/errors/index.js';

describe('trustWarnings', () => {
  it('reports each true flag and each non-null ...Mismatch field, known or not, and nothing else', () => {
    const report = {
      senderRevoked: true,
      senderExpired: false,
      downgraded: true,
      forwarded: true, // how it travelled, not a warning
      originatorMismatch: { claimed: 'BIN', card: 'BNPT' },
      recipientMismatch: null,
      someFutureFlag: true,
      senderVerification: 'verified',
      manifest: { title: 'x' },
    };
    const warnings = trustWarnings(report);
    expect(warnings.map((w) => w.flag)).toEqual(['senderRevoked', 'downgraded', 'originatorMismatch', 'someFutureFlag']);
    expect(warnings.find((w) => w.flag === 'someFutureFlag')!.message).toContain('someFutureFlag');
    expect(trustWarnings({ senderRevoked: false, forwarded: true })).toEqual([]);
  });

  it('reads the key ring report as openBundleWithKeyRing returns it: a confirmed originator and an empty mismatch list raise nothing', () => {
    // The shape of a clean report (src/bundle/originator-report.ts): originatorConfirmed is good news.
    expect(trustWarnings({ originatorConfirmed: true, originatorMismatch: [], senderRevoked: false, downgraded: false })).toEqual([]);
    expect(trustWarnings({ originatorConfirmed: false, originatorMismatch: ['organization'] }).map((w) => w.flag)).toEqual(['originatorMismatch']);
  });

  it('refuseTrustWarnings throws ERR_BUNDLE_UNTRUSTED naming every flag, and passes a clean report', () => {
    expect(() => refuseTrustWarnings({ senderExpired: false })).not.toThrow();
    try {
      refuseTrustWarnings({ senderSuperseded: true, originatorExpired: true });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LintasError);
      expect((e as LintasError).code).toBe('ERR_BUNDLE_UNTRUSTED');
      expect((e as LintasError).message).toMatch(/senderSuperseded.*originatorExpired/);
    }
    expect(() => trustWarnings(null as never)).toThrow(TypeError);
  });
});
