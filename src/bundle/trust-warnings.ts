/**
 * The key ring's report on an opened bundle, as a list of warnings an application shows or acts
 * on. {@link openBundleWithKeyRing} reports revoked, expired and superseded cards, downgraded
 * envelopes and the like as flags, not refusals; this turns every raised flag into one warning,
 * so a caller that prints or refuses "every warning" also covers flags added later: any `true`
 * field of the report (except `forwarded` and `originatorConfirmed`, which say how the bundle
 * travelled and that all is well) and any `...Mismatch` field that holds something (not null,
 * false or an empty list) is a warning.
 */
import { LintasError } from '../errors/index.js';

/** One raised flag of the key ring's report. */
export interface TrustWarning {
  /** The report field that raised it, e.g. `senderRevoked`. */
  flag: string;
  /** What it means, for a person. */
  message: string;
}

/**
 * Report fields that are `true` without anything being wrong: how the bundle travelled, and the
 * key ring's confirmation that the manifest's originator claim matches its card (the absence of
 * that confirmation for an unknown originator is shown by the CLI as a note, not a warning).
 */
const NOT_WARNINGS = new Set(['forwarded', 'originatorConfirmed']);

/** What each flag known today means; a flag added later is still reported, by its name. */
const MESSAGES: Record<string, string> = {
  senderRevoked: 'the key that sealed this envelope is revoked for it (key compromise, or signed after the revocation)',
  senderExpired: "the sealer's key card has expired",
  senderSuperseded: "the sealer's key card has been replaced by a newer card (signed with a rotated-out key)",
  downgraded: 'sealed to your classic X25519 key although your card publishes a post-quantum X-Wing key (SPEC 10.9)',
  originatorRevoked: "the originator's key card is revoked for this bundle",
  originatorExpired: "the originator's key card has expired",
  originatorSuperseded: "the originator's key card has been replaced by a newer card",
  originatorMismatch: "the originator named in the manifest does not match the key card your key ring holds for its key",
  expired: 'this bundle has expired',
};

/**
 * Every warning raised in a key ring report, in the report's field order.
 *
 * The `sender*` and `downgraded` flags describe the envelope's sealer and are settled only once
 * the envelope signature verified (when `items()` or `readAll()` ended without error): call this
 * again, or only, after that.
 * @param report - A {@link KeyRingOpenedBundle}, or any object with the same flag fields.
 * @throws {TypeError} if `report` is not an object.
 * @example
 * ```ts
 * import { trustWarnings } from 'lintas';
 *
 * const warnings = trustWarnings({ senderRevoked: true, senderExpired: false, forwarded: true, downgraded: false });
 * console.log(warnings.map((w) => w.flag)); // ["senderRevoked"]
 * ```
 */
export function trustWarnings(report: object): TrustWarning[] {
  if (report === null || typeof report !== 'object') throw new TypeError('report must be an object');
  const warnings: TrustWarning[] = [];
  for (const [flag, value] of Object.entries(report)) {
    if (NOT_WARNINGS.has(flag)) continue;
    const raised = value === true || (flag.endsWith('Mismatch') && mismatchRaised(value));
    if (raised) warnings.push({ flag, message: MESSAGES[flag] ?? `the key ring reports "${flag}"` });
  }
  return warnings;
}

/** A `...Mismatch` field is raised when it holds something: not null, false or an empty list. */
function mismatchRaised(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  return !Array.isArray(value) || value.length > 0;
}

/**
 * Refuse a bundle whose key ring report raised any warning (see {@link trustWarnings}).
 * @throws {@link LintasError} `ERR_BUNDLE_UNTRUSTED`, naming every raised flag.
 */
export function refuseTrustWarnings(report: object): void {
  const warnings = trustWarnings(report);
  if (warnings.length === 0) return;
  throw new LintasError(
    'ERR_BUNDLE_UNTRUSTED',
    `Refused: ${warnings.map((w) => `${w.message} [${w.flag}]`).join('; ')}`,
  );
}
