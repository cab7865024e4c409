/**
 * lintas: end-to-end encrypted, signed exchange of intelligence bundles between agencies.
 * Everything here works in Node and in browsers; `lintas/node` adds files, sockets and servers.
 *
 * - Envelopes: {@link seal} / {@link open} a payload for up to 1,024 recipients, signed by the
 *   sender, streamed ({@link sealStream}, {@link openStream}), armored ({@link armor}), described
 *   without keys ({@link inspect}).
 * - Key ring: {@link KeyRing} keeps your identities and your partners' key cards, encrypted in a
 *   {@link KeyRingStorage}; it verifies, rotates and revokes cards and seals by contact name.
 * - Bundles: {@link BundleBuilder}, {@link sealBundle}, {@link openBundle},
 *   {@link forwardBundle}: reports, files and STIX with handling markings
 *   ({@link checkMarkings}) that the library enforces, and an {@link AuditLog}.
 * - Transports: {@link MemoryTransport}, {@link RelayTransport}, and {@link receiveEnvelopes}, the
 *   receive loop with replay protection.
 *
 * Every failure a caller can act on is a {@link LintasError} with a stable `code`; bad arguments
 * are `TypeError` or `RangeError`. The format and the meaning of each code: docs/SPEC.md.
 * @packageDocumentation
 */
export * from './errors/index.js';
export * from './keys/index.js';
export * from './envelope/index.js';
export { cryptoReady } from './crypto/sodium.js';
export * from './transports/index.js';
export * from './keyring/index.js';
export * from './policy/index.js';
export * from './bundle/index.js';
export * from './audit/index.js';
export { toReadableStream } from './envelope/web-stream.js';
