/**
 * Transports (docs/TRANSPORTS.md): the platform-neutral part. Node-only transports are exported
 * from `lintas/node` (src/transports/node.ts).
 */
export { envelopeBytes } from './transport.js';
export type { Transport, Delivery, EnvelopeBody, ReceiveOptions } from './transport.js';
export { mailboxId, isMailboxId } from './mailbox.js';
export type { MailboxOwner } from './mailbox.js';
export { MemoryTransport, MemoryMailboxStore } from './memory.js';
export type { MemoryTransportOptions } from './memory.js';
export { RelayTransport } from './relay/client.js';
export type { RelayTransportOptions, RelayEnvelopeInfo, RelayLimitsInfo } from './relay/client.js';
export { RelayRequestError } from './relay/protocol.js';
export { MemoryReplayGuard, REPLAY_CLOCK_MARGIN_SECONDS, isReservingReplayGuard } from './replay-guard.js';
export { TaxiiTransport, discoverTaxii } from './taxii/client.js';
export type { TaxiiTransportOptions, TaxiiAuth, TaxiiDiscovery } from './taxii/client.js';
export { taxiiCollectionId } from './taxii/collection-id.js';
export { MemoryTaxiiCursorStore } from './taxii/cursor.js';
export type { TaxiiCursorStore, TaxiiCursorState } from './taxii/cursor.js';
export type { ReplayGuard, ReservingReplayGuard, ReplayReservation } from './replay-guard.js';
export { receiveEnvelopes, DEFAULT_REPLAY_WINDOW_SECONDS, DEFAULT_REPLAY_HOLD_MS } from './receive-envelopes.js';
export type { ReplayFields, ReceiveEnvelopesOptions, ReceiveEnvelopesResult, DeliveryContext, RejectedDelivery } from './receive-envelopes.js';
export { MemoryQuarantine } from './quarantine.js';
export type { Quarantine } from './quarantine.js';
export { createReceipt, verifyReceipt, envelopeHeaderHash } from './receipt.js';
export type { DeliveryReceipt } from './receipt.js';
