/**
 * The in-memory transport: for tests and for parts of one process talking to each other.
 * Several {@link MemoryTransport}s sharing one {@link MemoryMailboxStore} behave like several
 * processes connected to the same relay, which is how the conformance suite simulates a crash.
 */
import { checkMailboxId } from './mailbox.js';
import {
  checkEnvelopeBody,
  checkPositiveInteger,
  checkReceiveOptions,
  envelopeBytes,
  limitEnvelope,
  transportClosed,
  type Delivery,
  type EnvelopeBody,
  type ReceiveOptions,
  type Transport,
} from './transport.js';
import { anyAborted } from './lease-renewal.js';

interface StoredEnvelope {
  readonly id: string;
  readonly bytes: Uint8Array;
  /** The receive loop holding it, or null while it is available. */
  holder: object | null;
}

/**
 * The shared state behind in-memory transports: mailboxes of stored envelopes. Nothing survives
 * the process.
 */
export class MemoryMailboxStore {
  private readonly mailboxes = new Map<string, StoredEnvelope[]>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private nextId = 1;

  /** @internal */
  put(mailbox: string, bytes: Uint8Array): void {
    const list = this.mailboxes.get(mailbox) ?? [];
    this.mailboxes.set(mailbox, list);
    list.push({ id: String(this.nextId++), bytes, holder: null });
    this.notify(mailbox);
  }

  /** @internal The oldest available envelope, now held by `holder`; null if none. */
  claim(mailbox: string, holder: object): StoredEnvelope | null {
    const entry = this.mailboxes.get(mailbox)?.find((e) => e.holder === null);
    if (!entry) return null;
    entry.holder = holder;
    return entry;
  }

  /** @internal Remove an envelope for good (ack). */
  remove(mailbox: string, id: string): void {
    const list = this.mailboxes.get(mailbox);
    if (!list) return;
    const i = list.findIndex((e) => e.id === id);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.mailboxes.delete(mailbox);
  }

  /** @internal Make everything `holder` still holds available again, in its original order. */
  release(holder: object): void {
    for (const [mailbox, list] of this.mailboxes) {
      let released = false;
      for (const e of list) {
        if (e.holder === holder) {
          e.holder = null;
          released = true;
        }
      }
      if (released) this.notify(mailbox);
    }
  }

  /** @internal Resolves on the next change to `mailbox` or when a signal aborts. */
  changed(mailbox: string, ...signals: (AbortSignal | null)[]): Promise<void> {
    return new Promise((resolve) => {
      const set = this.listeners.get(mailbox) ?? new Set();
      this.listeners.set(mailbox, set);
      const active = signals.filter((s): s is AbortSignal => s !== null);
      const done = (): void => {
        set.delete(done);
        if (set.size === 0 && this.listeners.get(mailbox) === set) this.listeners.delete(mailbox);
        for (const s of active) s.removeEventListener('abort', done);
        resolve();
      };
      set.add(done);
      for (const s of active) s.addEventListener('abort', done, { once: true });
      if (active.some((s) => s.aborted)) done();
    });
  }

  private notify(mailbox: string): void {
    for (const listener of [...(this.listeners.get(mailbox) ?? [])]) listener();
  }
}

/** Options for {@link MemoryTransport}. */
export interface MemoryTransportOptions {
  /** The store to share with other transports; default a new private one. */
  store?: MemoryMailboxStore;
  /** Largest envelope accepted, in bytes. Default 64 MiB. */
  maxEnvelopeBytes?: number;
}

/**
 * A {@link Transport} in memory. Ordering: first in, first out per mailbox. A delivery held by a
 * receive loop goes back to its place in the mailbox as soon as that loop ends or the transport
 * is closed without acking it (there is no process to crash, so no lease to wait for).
 *
 * Transports whose ends share a {@link MemoryMailboxStore} see the same mailboxes: for tests,
 * and for apps that pass envelopes between parts of one process.
 * @example
 * ```ts
 * import { envelopeBytes, generateIdentityKeys, mailboxId, MemoryTransport, open, seal } from 'lintas';
 *
 * const desk = await generateIdentityKeys();
 * const field = await generateIdentityKeys();
 * const transport = new MemoryTransport();
 * const inbox = mailboxId(desk.signing.publicKey);
 *
 * await transport.send(inbox, await seal(new TextEncoder().encode('checkpoint clear'), { recipients: [desk.xwing], sender: field.signing }));
 * for await (const delivery of transport.receive(inbox, { untilEmpty: true })) {
 *   const opened = await open(await envelopeBytes(delivery.envelope), { keys: [desk.xwing] });
 *   console.log(new TextDecoder().decode(opened.payload)); // checkpoint clear
 *   await delivery.ack(); // only now does it leave the mailbox
 * }
 * await transport.close();
 * ```
 */
export class MemoryTransport implements Transport {
  /** The shared store this transport reads and writes. */
  readonly store: MemoryMailboxStore;
  private readonly maxEnvelopeBytes: number;
  private readonly closing = new AbortController();
  private readonly loops = new Set<object>();

  /** @throws {TypeError} / {RangeError} for invalid options. */
  constructor(options: MemoryTransportOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (options.store !== undefined && !(options.store instanceof MemoryMailboxStore)) throw new TypeError('options.store must be a MemoryMailboxStore');
    this.store = options.store ?? new MemoryMailboxStore();
    this.maxEnvelopeBytes = checkPositiveInteger(options.maxEnvelopeBytes, 'options.maxEnvelopeBytes', 64 * 1024 * 1024);
  }

  /** @inheritdoc */
  async send(mailbox: string, envelope: EnvelopeBody): Promise<void> {
    checkMailboxId(mailbox);
    checkEnvelopeBody(envelope);
    if (this.closing.signal.aborted) throw transportClosed();
    // Copy: the caller may reuse its buffer after send resolves.
    const bytes = (await envelopeBytes(limitEnvelope(envelope, this.maxEnvelopeBytes))).slice();
    if (this.closing.signal.aborted) throw transportClosed();
    this.store.put(mailbox, bytes);
  }

  /** @inheritdoc */
  receive(mailbox: string, options?: ReceiveOptions): AsyncIterable<Delivery> {
    checkMailboxId(mailbox);
    const o = checkReceiveOptions(options);
    return this.loop(mailbox, o.untilEmpty, o.signal);
  }

  private async *loop(mailbox: string, untilEmpty: boolean, signal: AbortSignal | null): AsyncGenerator<Delivery> {
    if (this.closing.signal.aborted) throw transportClosed();
    const holder = {};
    this.loops.add(holder);
    try {
      while (!anyAborted(this.closing.signal, signal)) {
        const entry = this.store.claim(mailbox, holder);
        if (entry === null) {
          if (untilEmpty) return;
          // Registered synchronously after the failed claim, so no send can slip in between.
          await this.store.changed(mailbox, this.closing.signal, signal);
          continue;
        }
        yield this.delivery(mailbox, entry);
      }
    } finally {
      this.loops.delete(holder);
      this.store.release(holder);
    }
  }

  private delivery(mailbox: string, entry: StoredEnvelope): Delivery {
    return {
      id: entry.id,
      envelope: entry.bytes.slice(),
      ack: async () => {
        if (this.closing.signal.aborted) throw transportClosed();
        this.store.remove(mailbox, entry.id);
      },
    };
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.closing.abort();
    for (const holder of this.loops) this.store.release(holder);
  }
}
