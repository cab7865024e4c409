/**
 * Sealing and opening many small envelopes on every core (docs/PERFORMANCE.md, "When the worker
 * pool pays"). One envelope of a few KiB costs about 0.4 ms of public-key work on one thread
 * (X25519 or X-Wing, Ed25519) and almost nothing else, so a batch of them spreads over worker
 * threads, each running the unchanged `seal` and `open` of SPEC sections 5 and 6.
 *
 * What crosses into a worker, and what does not:
 * - Secret keys: only the pool's sender signing key and decryption keys, copied once into one
 *   SharedArrayBuffer that every worker reads and that {@link LintasWorkerPool.close} zeroes
 *   from the calling thread (src/pool/shared-keys.ts).
 * - Per job: payloads or envelopes (copied, then transferred: no stray copy in a serialized
 *   message), recipient public keys, and the batch's policy.
 * - Never: a key ring, a replay guard, trust decisions. The calling thread checks every argument
 *   (with `seal`'s and `open`'s own checks), fixes the clock and the trusted senders of a batch
 *   (SPEC 6.5), and gets back exactly what `seal` and `open` return; recording envelope ids
 *   against replay stays with the caller (SPEC 10.7), e.g. `receiveEnvelopes` or a key ring.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { LintasError } from '../errors/index.js';
import type { SealOptions } from '../envelope/seal.js';
import { checkOpenOptions, type OpenedEnvelope, type OpenOptions } from '../envelope/open.js';
import type { RecipientKeyPair, SigningKeyPair } from '../keys/recipient.js';
import { fromWireError, packBytes, type Job, type Reply, type WireOpenPolicy, type WireOpened, type WireResults, type WorkerStart } from './protocol.js';
import { checkSealItems, wireSealJob } from './seal-items.js';
import { unpackOpened } from './opened-results.js';
import { shareKeys, wipeSharedKeys, type SharedKeys } from './shared-keys.js';

/** Options of {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  /** Worker threads: an integer from 1 to 256. Default: the cores available (`os.availableParallelism()`). */
  workers?: number;
  /** The Ed25519 key pair that signs everything the pool seals. Exclusive with `anonymous`. */
  sender?: SigningKeyPair;
  /** Seal without a sender identity (a tip line), as `seal`'s `anonymous`. Exclusive with `sender`. */
  anonymous?: boolean;
  /** Your decryption key pairs, for {@link LintasWorkerPool.open} (as `open`'s `keys`). */
  keys?: RecipientKeyPair[];
  /**
   * Back-pressure: at most this many items wait for a worker (an integer from 1 to 1,048,576;
   * default 1,024), besides the two jobs of up to 32 items each worker holds. A `seal` or `open`
   * call with more waits, before copying them, until workers have taken earlier ones, so a fast
   * producer cannot fill memory with copies.
   */
  maxQueued?: number;
}

/** One envelope for {@link LintasWorkerPool.seal}: the payload and `seal`'s options, except the sender (the pool's). */
export interface PoolSealItem extends Omit<SealOptions, 'sender' | 'anonymous'> {
  /** The bytes to protect. */
  payload: Uint8Array;
}

/** Options of {@link LintasWorkerPool.open}: `open`'s options except `keys` (the pool's). */
export type PoolOpenOptions = Omit<OpenOptions, 'keys'>;

/** An envelope {@link LintasWorkerPool.open} opened. */
export interface PoolOpened {
  /** It opened and verified. */
  ok: true;
  /** Exactly what `open` resolves to for it. */
  opened: OpenedEnvelope;
}

/** An envelope {@link LintasWorkerPool.open} refused. */
export interface PoolOpenFailed {
  /** It did not open. */
  ok: false;
  /** What `open` throws for it: a {@link LintasError} with its `code` and message. */
  error: Error;
}

/** The outcome of one envelope of {@link LintasWorkerPool.open}. */
export type PoolOpenResult = PoolOpened | PoolOpenFailed;

/** Default of {@link WorkerPoolOptions.maxQueued}. */
export const DEFAULT_POOL_MAX_QUEUED = 1024;
/** Jobs a worker holds at once: two, so it never waits for the next message between jobs. */
const JOBS_PER_WORKER = 2;
/** The most items in one job: few messages per batch, yet enough jobs to keep every worker busy. */
const MAX_JOB_ITEMS = 32;
/**
 * Jobs a call is cut into per worker, when its items are fewer than that many full jobs. Each
 * message costs the calling thread (and the worker) about as much as the public-key work of a
 * few items, taken from a worker's core when workers fill the cores (docs/PERFORMANCE.md, "When
 * the worker pool pays"); two per worker still let a worker take the next job without waiting
 * and leave at most half a worker's share for the last job of a call.
 */
const CALL_JOBS_PER_WORKER = 2;

/**
 * The worker's bootstrap. An eval worker (as src/crypto/node-parallel-hash.ts), because the same
 * few lines start the built worker from the ESM and the CommonJS build alike (`import()` loads
 * either) and, from a source checkout (the tests and benches), compile the TypeScript with the
 * checkout's tsx (found from the source file, not from the working folder).
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts')) {
  const file = require('node:url').fileURLToPath(workerData.entry);
  const fromSources = require('node:module').createRequire(file);
  fromSources('tsx/cjs/api').register();
  fromSources(file);
} else {
  import(workerData.entry);
}
`;

/** The worker's module: built next to this one (dist/pool-worker.js or .cjs), or the source. */
function workerEntry(): string {
  const self = import.meta.url;
  return new URL(`./pool-worker${self.slice(self.lastIndexOf('.'))}`, self).href;
}

/** Node's `util.inspect` hook, as the key ring's (src/keyring/key-ring.ts). */
const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/** {@link createWorkerPool}'s way to the private constructor (set by the class's static block). */
let startPool: (keys: SharedKeys, canSeal: boolean, anonymous: boolean, maxQueued: number, workers: number) => Promise<LintasWorkerPool>;

interface Unit {
  kind: Job['kind'];
  items: PoolSealItem[] | (Uint8Array | string)[];
  policy: WireOpenPolicy | null;
  resolve(results: WireResults<unknown>): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Unit>;
  /** Resolves once the worker has loaded and answered `ready`; rejects if it dies first. */
  ready: Promise<void>;
}

/**
 * Seal and open batches of envelopes on worker threads, with results identical to `seal` and
 * `open` (envelopes sealed here open with `open`, and the other way round). Create one with
 * {@link createWorkerPool}; close it with {@link LintasWorkerPool.close} (or `await using`) to
 * stop its threads and wipe its keys. An idle pool does not keep the process alive.
 *
 * A worker that dies (a crash, `process.exit` in a worker) fails the jobs it held with
 * `ERR_POOL_WORKER_FAILED` (they are not retried: the same input might kill the next one too)
 * and is replaced; if the replacement cannot start either, the pool closes itself (fails
 * closed) and everything pending fails with that code.
 */
export class LintasWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Unit[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private queuedItems = 0;
  private nextId = 1;
  private closing: Promise<void> | null = null;

  static {
    startPool = async (...args) => {
      const pool = new LintasWorkerPool(...args);
      try {
        await Promise.all(pool.slots.map((s) => s.ready));
      } catch (e) {
        await pool.close();
        throw e;
      }
      return pool;
    };
  }

  /** Use {@link createWorkerPool}. */
  private constructor(
    private readonly keys: SharedKeys,
    private readonly canSeal: boolean,
    private readonly anonymous: boolean,
    private readonly maxQueued: number,
    workers: number,
  ) {
    for (let i = 0; i < workers; i++) this.slots.push(this.spawn());
  }

  /**
   * Prints without key material (`console.log`, `util.inspect` at any depth): the pool holds the
   * shared buffer of its secret keys.
   */
  [INSPECT](): string {
    return `LintasWorkerPool { workers: ${this.slots.length}, closed: ${this.closed}, [secret keys not shown] }`;
  }

  /** `JSON.stringify` shows no key material either. */
  toJSON(): {
    /** The class name. */
    type: 'LintasWorkerPool';
    /** The number of worker threads. */
    workers: number;
  } {
    return { type: 'LintasWorkerPool', workers: this.slots.length };
  }

  /** The number of worker threads. */
  get workers(): number {
    return this.slots.length;
  }

  /** True once {@link LintasWorkerPool.close} was called (or the pool failed closed). */
  get closed(): boolean {
    return this.closing !== null;
  }

  /**
   * Seal every item, each as `seal(item.payload, { ...item, sender })` with the pool's sender.
   * @param items - The payloads and their per-envelope options.
   * @returns The envelopes, in the order of `items`.
   * @throws {TypeError | RangeError} as `seal` does, for the first bad item, before any is
   * sealed; a `TypeError` if the pool has neither a sender nor `anonymous`.
   * @throws {@link LintasError} `ERR_SEAL_INVALID_RECIPIENT` as `seal`; `ERR_POOL_CLOSED` if the
   * pool is or gets closed; `ERR_POOL_WORKER_FAILED` if a worker died with items of this call.
   * @example
   * ```ts
   * import { createWorkerPool, generateIdentityKeys } from 'lintas/node';
   *
   * const desk = await generateIdentityKeys();
   * const partner = await generateIdentityKeys();
   * const pool = await createWorkerPool({ workers: 2, sender: desk.signing });
   * const reports = Array.from({ length: 100 }, (_, i) => new TextEncoder().encode(`report ${i}`));
   * const envelopes = await pool.seal(reports.map((payload) => ({ payload, recipients: [partner.xwing] })));
   * console.log(envelopes.length); // 100
   * await pool.close();
   * ```
   */
  async seal(items: PoolSealItem[]): Promise<Uint8Array[]> {
    this.assertOpen();
    if (!Array.isArray(items)) throw new TypeError('items must be an array of { payload, recipients, ... }');
    if (!this.canSeal) throw new TypeError('this pool has no sender: create it with options.sender (or anonymous: true) to seal');
    checkSealItems(items, this.anonymous, Math.floor(Date.now() / 1000));
    const parts = await this.submit('seal', items, null);
    const envelopes: Uint8Array[] = [];
    for (const part of parts) {
      const [failed] = part.errors; // the first failed item of the first part with one: the first in order
      if (failed) throw fromWireError(failed[1]);
      for (const envelope of part.values) envelopes.push(envelope as Uint8Array);
    }
    return envelopes;
  }

  /**
   * Open and verify every envelope, each as `open(envelope, { ...options, keys })` with the
   * pool's keys. The policy of SPEC 6.5 is the caller's, fixed for the whole batch on this
   * thread: `options.now` (default: the time of this call), `trustedSenders`, `allowAnonymous`.
   * Replay protection is not done here: record each `opened.envelopeId` (with its sender) as
   * your receive loop does (SPEC 10.7).
   * @param envelopes - Whole envelopes, binary or armored (a stream: use `openStream`).
   * @param options - `open`'s options, without `keys`.
   * @returns One result per envelope, in order: one bad envelope does not hide the others.
   * @throws {TypeError | RangeError} for invalid options or an envelope that is neither bytes nor a string.
   * @throws {@link LintasError} `ERR_POOL_CLOSED`, `ERR_POOL_WORKER_FAILED` (for the whole call).
   * @example
   * ```ts
   * import { createWorkerPool, generateIdentityKeys, seal } from 'lintas/node';
   *
   * const desk = await generateIdentityKeys();
   * const me = await generateIdentityKeys();
   * const envelope = await seal(new TextEncoder().encode('report'), { recipients: [me.xwing], sender: desk.signing });
   * const pool = await createWorkerPool({ keys: [me.xwing] });
   * const [result] = await pool.open([envelope], { trustedSenders: [desk.signing.publicKey] });
   * console.assert(result!.ok && new TextDecoder().decode(result!.opened.payload) === 'report');
   * await pool.close();
   * ```
   */
  async open(envelopes: (Uint8Array | string)[], options: PoolOpenOptions = {}): Promise<PoolOpenResult[]> {
    this.assertOpen();
    if (!Array.isArray(envelopes)) throw new TypeError('envelopes must be an array');
    for (const [i, e] of envelopes.entries()) {
      if (!(e instanceof Uint8Array) && typeof e !== 'string') throw new TypeError(`envelopes[${i}] must be a Uint8Array or an armored string`);
    }
    if (options !== null && typeof options === 'object' && 'keys' in options) throw new TypeError('options.keys is not accepted: the pool opens with its own keys');
    checkOpenOptions({ ...options, keys: [] });
    const policy: WireOpenPolicy = { now: options.now ?? new Date() };
    if (options.allowAnonymous !== undefined) policy.allowAnonymous = options.allowAnonymous;
    if (options.trustedSenders !== undefined) policy.trustedSenders = options.trustedSenders.map((k) => k.slice());
    if (options.maxClockSkewSeconds !== undefined) policy.maxClockSkewSeconds = options.maxClockSkewSeconds;
    if (options.maxTrialDecryptions !== undefined) policy.maxTrialDecryptions = options.maxTrialDecryptions;
    const results: PoolOpenResult[] = [];
    for (const part of await this.submit('open', envelopes, policy)) {
      const errors = new Map(part.errors);
      for (const [i, opened] of part.values.entries()) {
        results.push(opened !== null ? { ok: true, opened: unpackOpened(opened as WireOpened) } : { ok: false, error: fromWireError(errors.get(i)!) });
      }
    }
    return results;
  }

  /**
   * Stop the pool: everything pending fails with `ERR_POOL_CLOSED`, the keys are zeroed (in the
   * memory the workers read them from, by this thread) and the threads are terminated. Safe to
   * call again; resolves once every thread has stopped.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    return this.shutDown(new LintasError('ERR_POOL_CLOSED', 'The worker pool was closed before this job finished'));
  }

  /** `await using pool = await createWorkerPool(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private shutDown(reason: LintasError): Promise<void> {
    this.closing = (async () => {
      wipeSharedKeys(this.keys);
      for (const unit of this.queue.splice(0)) unit.reject(reason);
      this.queuedItems = 0;
      for (const slot of this.slots) {
        for (const unit of slot.inFlight.values()) unit.reject(reason);
        slot.inFlight.clear();
      }
      for (const wake of this.spaceWaiters.splice(0)) wake();
      await Promise.all(this.slots.map((s) => s.worker.terminate()));
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new LintasError('ERR_POOL_CLOSED', 'The worker pool is closed');
  }

  /** Queue `items` as jobs (waiting for room: back-pressure) and collect their results in order. */
  private async submit(kind: Job['kind'], items: PoolSealItem[] | (Uint8Array | string)[], policy: WireOpenPolicy | null): Promise<WireResults<unknown>[]> {
    // CALL_JOBS_PER_WORKER jobs per worker for load balance, and never a job larger than the queue's bound.
    const size = Math.min(MAX_JOB_ITEMS, this.maxQueued, Math.max(1, Math.ceil(items.length / (this.slots.length * CALL_JOBS_PER_WORKER))));
    const parts: Promise<WireResults<unknown>>[] = [];
    for (let i = 0; i < items.length; i += size) {
      const n = Math.min(size, items.length - i);
      while (this.queuedItems > 0 && this.queuedItems + n > this.maxQueued) {
        await new Promise<void>((wake) => this.spaceWaiters.push(wake));
        this.assertOpen();
      }
      const part = new Promise<WireResults<unknown>>((resolve, reject) => {
        this.queue.push({ kind, items: items.slice(i, i + n) as Unit['items'], policy, resolve, reject });
      });
      part.catch(() => {}); // awaited below; until then a rejection (close) must not count as unhandled
      parts.push(part);
      this.queuedItems += n;
      this.dispatch();
    }
    return Promise.all(parts);
  }

  /** Hand queued jobs to the least busy workers. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot: Slot | null = null;
      for (const s of this.slots) if (s.inFlight.size < JOBS_PER_WORKER && (!slot || s.inFlight.size < slot.inFlight.size)) slot = s;
      if (!slot) break;
      const unit = this.queue.shift()!;
      this.queuedItems -= unit.items.length;
      this.post(slot, unit);
    }
    for (const wake of this.spaceWaiters.splice(0)) wake();
  }

  private post(slot: Slot, unit: Unit): void {
    const id = this.nextId++;
    // The caller's bytes are copied here, after admission, and the copies transferred.
    try {
      if (unit.kind === 'seal') {
        const { payloads, options, transfer } = wireSealJob(unit.items as PoolSealItem[]);
        slot.worker.postMessage({ id, kind: 'seal', payloads, options } satisfies Job, transfer);
      } else {
        const { copies, transfer } = packBytes(unit.items as (Uint8Array | string)[]);
        slot.worker.postMessage({ id, kind: 'open', envelopes: copies, policy: unit.policy! } satisfies Job, transfer);
      }
    } catch (e) {
      // An item the caller changed since the call into something unreadable, or that
      // structured clone cannot copy: this job fails, the pool goes on.
      unit.reject(e as Error);
      return;
    }
    slot.inFlight.set(id, unit);
    slot.worker.ref();
  }

  private spawn(): Slot {
    const start: WorkerStart = { entry: workerEntry(), keys: this.keys, anonymous: this.anonymous };
    // No loader flags of the parent (a TypeScript loader would slow every start), as node-parallel-hash.
    const worker = new Worker(BOOTSTRAP, { eval: true, execArgv: [], workerData: start });
    const slot: Slot = { worker, inFlight: new Map(), ready: Promise.resolve() };
    let started = false;
    let failure: unknown = null;
    slot.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (reply: Reply) => {
        if (reply.kind === 'ready') {
          started = true;
          if (slot.inFlight.size === 0) worker.unref();
          resolve();
          return;
        }
        const unit = slot.inFlight.get(reply.id);
        if (!unit) return; // failed already (the pool closed)
        slot.inFlight.delete(reply.id);
        if (slot.inFlight.size === 0) worker.unref();
        unit.resolve(reply.results);
        this.dispatch();
      });
      worker.on('error', (e) => {
        failure = e;
      });
      worker.on('exit', (code) => {
        if (this.closing || !this.slots.includes(slot)) return;
        const error = new LintasError('ERR_POOL_WORKER_FAILED', `A worker thread of the pool stopped (exit code ${code}); the jobs it held were not completed`, { cause: failure ?? undefined });
        if (!started) {
          reject(error);
          void this.shutDown(error); // it could not even start: a replacement would not either
          return;
        }
        for (const unit of slot.inFlight.values()) unit.reject(error);
        slot.inFlight.clear();
        const replacement = this.spawn();
        this.slots[this.slots.indexOf(slot)] = replacement;
        replacement.ready.then(() => this.dispatch(), () => {});
        this.dispatch();
      });
    });
    slot.ready.catch(() => {});
    return slot;
  }
}

/**
 * Start a pool of worker threads that seal and open envelopes (docs/PERFORMANCE.md, "When the
 * worker pool pays": for batches of small envelopes, not for one large one, which `sealStream`
 * and `openStream` already spread over two cores). Resolves once every worker is ready.
 * @param options - Worker count, the sender that signs, the keys that open, the queue bound.
 * @throws {TypeError | RangeError} for invalid options (as `seal` and `open` check keys).
 * @throws {@link LintasError} `ERR_POOL_WORKER_FAILED` if a worker cannot start.
 * @example
 * ```ts
 * import { createWorkerPool, generateIdentityKeys } from 'lintas/node';
 *
 * const me = await generateIdentityKeys();
 * const partner = await generateIdentityKeys();
 * const pool = await createWorkerPool({ workers: 2, sender: me.signing, keys: [me.xwing] });
 * try {
 *   const envelopes = await pool.seal([{ payload: new Uint8Array(1024), recipients: [partner.xwing, me.xwing] }]);
 *   const [result] = await pool.open(envelopes, { trustedSenders: [me.signing.publicKey] });
 *   console.assert(result!.ok);
 * } finally {
 *   await pool.close(); // wipes the keys the workers held
 * }
 * ```
 */
export async function createWorkerPool(options: WorkerPoolOptions = {}): Promise<LintasWorkerPool> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const workers = options.workers ?? availableParallelism();
  if (typeof workers !== 'number') throw new TypeError('options.workers must be a number');
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new RangeError('options.workers must be an integer from 1 to 256');
  const maxQueued = options.maxQueued ?? DEFAULT_POOL_MAX_QUEUED;
  if (typeof maxQueued !== 'number') throw new TypeError('options.maxQueued must be a number');
  if (!Number.isInteger(maxQueued) || maxQueued < 1 || maxQueued > 1_048_576) throw new RangeError('options.maxQueued must be an integer from 1 to 1,048,576');
  const anonymous = options.anonymous ?? false;
  if (typeof anonymous !== 'boolean') throw new TypeError('options.anonymous must be a boolean');
  const sender = options.sender ?? null;
  if (sender !== null) {
    if (anonymous) throw new TypeError('options.sender and options.anonymous exclude each other');
    // The checks `seal` makes of options.sender, made once here instead of for every item.
    if (typeof sender !== 'object' || !(sender.publicKey instanceof Uint8Array) || !(sender.secretKey instanceof Uint8Array)) {
      throw new TypeError('options.sender must be { publicKey: Uint8Array, secretKey: Uint8Array }');
    }
    if (sender.publicKey.length !== 32 || sender.secretKey.length !== 64) {
      throw new RangeError('options.sender must be an Ed25519 key pair (32-byte public, 64-byte secret key)');
    }
  }
  const keys = options.keys ?? [];
  checkOpenOptions({ keys });
  return startPool(shareKeys(sender, keys), sender !== null || anonymous, anonymous, maxQueued, workers);
}
