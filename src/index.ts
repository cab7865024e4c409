/**
 * lintas: end-to-end encrypted, signed exchange of intelligence bundles between agencies.
 *
 * The envelope layer (this release): {@link seal} / {@link open} a payload for many recipients,
 * signed by the sender, with streaming, ASCII armor and key-free {@link inspect}.
 * See docs/SPEC.md for the format.
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
