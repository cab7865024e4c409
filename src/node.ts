/**
 * lintas/node: the parts of lintas that need Node.js (file system, sockets, processes).
 * Everything in the main `lintas` entry also works in browsers; this entry re-exports it and
 * adds the Node-only pieces: {@link FileKeyRingStorage}, {@link DropFolderTransport},
 * {@link RedisStreamsTransport}, the relay server ({@link startRelay}) and a cheaper `fetch` for
 * its client ({@link nodeHttpFetch}), {@link FileReplayGuard}, {@link RedisReplayGuard},
 * {@link fileItemSource} for bundle items on disk, the audit log file
 * ({@link openAuditLogFile}, {@link FileAuditStore}), and {@link createWorkerPool}, which seals and
 * opens batches of envelopes on worker threads.
 * @packageDocumentation
 */
export * from './index.js';
export * from './transports/node.js';
export { FileKeyRingStorage } from './keyring/file-storage.js';
export type { FileKeyRingStorageOptions } from './keyring/file-storage.js';
export { fileItemSource } from './bundle/node.js';
export { DirectoryQuarantine } from './transports/directory-quarantine.js';
export type { EnvelopeInFile } from './transports/directory-quarantine.js';
export { FileAuditStore, openAuditLogFile, verifyAuditLog } from './audit/node.js';
export { createWorkerPool, LintasWorkerPool, DEFAULT_POOL_MAX_QUEUED } from './pool/worker-pool.js';
export type { WorkerPoolOptions, PoolSealItem, PoolOpenOptions, PoolOpenResult, PoolOpened, PoolOpenFailed } from './pool/worker-pool.js';
