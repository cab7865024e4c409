/**
 * Enforcing the rules: the policy error, and the one explicit way past it. Real operations need
 * to break a rule now and then (a liaison officer who is not on the REL TO list yet), so an
 * authorised sender may override, but only per call, with a reason and an authoriser, and the
 * override is written into the sealed manifest (visible to every recipient) and the audit
 * trail. There is no global switch.
 */
import { LintasError } from '../errors/index.js';
import { markingTextProblem } from './markings.js';
import type { PolicyRule, PolicyViolation } from './rules.js';

/** An explicit, recorded exception to the handling rules for one seal or forward. */
export interface PolicyOverride {
  /** Why the rules are broken, for reviewers (no intelligence content). */
  reason: string;
  /** Who authorised it (name, role or order number). */
  authorisedBy: string;
}

/** An override as recorded: what it lifted. */
export interface AppliedOverride {
  /** Why the rules were overridden, as the person who authorised it wrote it. */
  reason: string;
  /** Who authorised it (name or role). */
  authorisedBy: string;
  /** The violations it lifted, each by rule and recipient fingerprint (null: the bundle). */
  lifted: {
    /** The rule lifted. */
    rule: PolicyRule;
    /** Key card fingerprint of the recipient concerned; null when the rule concerns the bundle. */
    recipient: Uint8Array | null;
    /** The item concerned (per-item releasability), else null. */
    item: string | null;
  }[];
}

/**
 * What a person can do about a {@link PolicyViolationError}: `override` (sealing or forwarding:
 * change recipients or markings, or override), `not-overridable` (an override was given but a
 * rule no override lifts is broken), `received` (a reader refuses a bundle whose forward chain
 * broke a rule, SPEC 12.6).
 */
export type PolicyViolationAdvice = 'override' | 'not-overridable' | 'received';

const ADVICE: Record<PolicyViolationAdvice, string> = {
  override: 'Remove those recipients, change the markings, or pass an override with a reason if you are authorised to',
  'not-overridable': 'An override cannot lift a rule marked not overridable',
  received: 'The forward record proves someone shared it against its markings: do not use or pass it on, and tell its originator',
};

/** Thrown when sealing, forwarding or receiving would break a handling rule; lists every violation. */
export class PolicyViolationError extends LintasError {
  /** Every violation found, in recipient order. */
  readonly violations: readonly PolicyViolation[];

  constructor(violations: PolicyViolation[], advice: PolicyViolationAdvice) {
    const lines = violations.map((v) => `${v.rule}: ${v.message}`);
    super('ERR_POLICY_VIOLATION', `Handling policy refuses this: ${lines.join('; ')}. ${ADVICE[advice]}.`);
    this.name = 'PolicyViolationError';
    this.violations = violations;
  }
}

/** Longest override reason, in UTF-8 bytes. */
export const MAX_OVERRIDE_REASON_BYTES = 1024;

/**
 * Check an override given by an app.
 * @throws {TypeError | RangeError} if it lacks a reason or an authoriser.
 */
export function checkOverride(o: PolicyOverride, what = 'override'): PolicyOverride {
  if (o === null || typeof o !== 'object') throw new TypeError(`${what} must be { reason, authorisedBy }`);
  if (typeof o.reason !== 'string') throw new TypeError(`${what}.reason must be a string`);
  if (typeof o.authorisedBy !== 'string') throw new TypeError(`${what}.authorisedBy must be a string`);
  const reason = o.reason.normalize('NFC').trim();
  const authorisedBy = o.authorisedBy.normalize('NFC').trim();
  if (reason.length === 0) throw new RangeError(`${what}.reason must say why the rules are overridden`);
  if (new TextEncoder().encode(reason).length > MAX_OVERRIDE_REASON_BYTES) throw new RangeError(`${what}.reason is longer than ${MAX_OVERRIDE_REASON_BYTES} bytes`);
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/u.test(reason)) throw new RangeError(`${what}.reason contains control characters`);
  const problem = markingTextProblem(authorisedBy);
  if (problem) throw new RangeError(`${what}.authorisedBy ${problem}`);
  return { reason, authorisedBy };
}

/**
 * Decide: no violations, go ahead (null); violations and a valid override that may lift all
 * of them, go ahead and record the returned {@link AppliedOverride}; otherwise throw.
 * @throws {PolicyViolationError} `ERR_POLICY_VIOLATION`, listing every violation.
 */
export function enforcePolicy(violations: PolicyViolation[], override: PolicyOverride | undefined): AppliedOverride | null {
  if (violations.length === 0) return null;
  const blocking = violations.filter((v) => !v.overridable);
  if (blocking.length > 0) throw new PolicyViolationError(violations, override !== undefined ? 'not-overridable' : 'override');
  if (override === undefined) throw new PolicyViolationError(violations, 'override');
  const o = checkOverride(override);
  return {
    reason: o.reason,
    authorisedBy: o.authorisedBy,
    lifted: violations.map((v) => ({ rule: v.rule, recipient: v.recipient ? v.recipient.fingerprint : null, item: v.item })),
  };
}
