export { AUDIT_EVENT_TYPES, AUDIT_SIGNATURE_CONTEXT, MAX_AUDIT_RECORD_BYTES } from './entry.js';
export type { AuditEvent, AuditEventType, AuditEntry, AuditOverride, AuditBreak } from './entry.js';
export { AuditLog, MemoryAuditStore } from './log.js';
export type { AuditStore, AuditLogOptions } from './log.js';
export { verifyAuditLog } from './verify.js';
export type { AuditVerification, AuditLogBreak, VerifyAuditLogOptions } from './verify.js';
export { decodeAuditAnchor, AUDIT_ANCHOR_CONTEXT } from './anchor.js';
export type { AuditAnchor } from './anchor.js';
