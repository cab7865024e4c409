/**
 * The stream check of the NATS JetStream transport (docs/TRANSPORTS.md 3.6, "Stream and
 * durability"): before the stream is first used, read its configuration and refuse settings
 * that lose acknowledged envelopes, unless the app has named that risk, and settings that break
 * the mailbox contract, which no option accepts.
 *
 * - `storage: memory`: every envelope is lost when the server stops ("loss-on-restart").
 * - fewer replicas than the app asked for: losing a server loses what only it had
 *   ("loss-on-node-failure").
 * - `max_age`, or `max_msgs` / `max_bytes` / `max_msgs_per_subject` that discard old messages:
 *   JetStream deletes envelopes nobody acknowledged ("loss-on-limits"). With `discard: new` a
 *   full stream refuses new envelopes instead, and the sender sees it.
 * - retention other than `workqueue`: acknowledging would not remove an envelope (`limits`) or
 *   would depend on other consumers (`interest`), so it is refused.
 * - `allow_rollup_hdrs`: any sender could empty a mailbox with one `Nats-Rollup` header (what
 *   `XADD MAXLEN 0` was on Redis), so it is refused.
 */
import { LintasError } from '../errors/index.js';

/** Every way of losing acknowledged envelopes that an app may knowingly accept. */
export const NATS_DURABILITY_RISKS: readonly NatsDurabilityRisk[] = ['loss-on-restart', 'loss-on-node-failure', 'loss-on-limits'];

/** A way of losing acknowledged envelopes that an app may knowingly accept. */
export type NatsDurabilityRisk = 'loss-on-restart' | 'loss-on-node-failure' | 'loss-on-limits';

/** The fields of a JetStream stream configuration the check reads (`StreamConfig`). */
export interface CheckedStreamConfig {
  name: string;
  retention?: string;
  storage?: string;
  num_replicas?: number;
  discard?: string;
  discard_new_per_subject?: boolean;
  max_age?: number;
  max_msgs?: number;
  max_bytes?: number;
  max_msgs_per_subject?: number;
  allow_rollup_hdrs?: boolean;
}

/**
 * Refuse a stream that can lose acknowledged envelopes (unless each such risk is in `accepted`)
 * or that breaks the mailbox contract.
 * @throws {@link LintasError} `ERR_NATS_UNSAFE_CONFIG` naming the setting and, where there is
 *   one, the risk that accepts it.
 */
export function checkNatsStream(config: CheckedStreamConfig, replicas: number, accepted: ReadonlySet<NatsDurabilityRisk>): void {
  const refuse = (what: string, risk?: NatsDurabilityRisk): void => {
    if (risk !== undefined && accepted.has(risk)) return;
    throw new LintasError(
      'ERR_NATS_UNSAFE_CONFIG',
      `The JetStream stream "${config.name}" ${what}; change it (see docs/TRANSPORTS.md 3.6)${risk === undefined ? '' : `, or accept the risk with acceptRisks: ['${risk}']`}`,
    );
  };
  if (config.retention !== 'workqueue') refuse(`has retention ${String(config.retention)}: lintas mailboxes need workqueue retention, where an ack removes the envelope`);
  if (config.allow_rollup_hdrs === true) refuse('allows rollup headers: any sender could empty a mailbox with a Nats-Rollup header; set allow_rollup_hdrs false');
  if (config.storage === 'memory') refuse('keeps envelopes in memory: all of them are lost when the server stops; use file storage', 'loss-on-restart');
  const r = config.num_replicas ?? 1;
  if (r < replicas) refuse(`has ${r} replica${r === 1 ? '' : 's'} but ${replicas} were asked for: losing a server loses envelopes only it had`, 'loss-on-node-failure');
  if ((config.max_age ?? 0) > 0) refuse('has max_age: it deletes envelopes nobody acknowledged; set max_age 0', 'loss-on-limits');
  const discardsOld = config.discard !== 'new';
  if (discardsOld && ((config.max_msgs ?? -1) > 0 || (config.max_bytes ?? -1) > 0)) {
    refuse('discards old envelopes when max_msgs or max_bytes is reached; use discard new (a full stream then refuses new envelopes)', 'loss-on-limits');
  }
  if ((config.max_msgs_per_subject ?? -1) > 0 && !(config.discard === 'new' && config.discard_new_per_subject === true)) {
    refuse('discards old envelopes of a mailbox above max_msgs_per_subject; use discard new with discard_new_per_subject, or no per-subject limit', 'loss-on-limits');
  }
}
