/**
 * A {@link Transport} through any TAXII 2.1 server (OASIS TAXII 2.1; docs/TRANSPORTS.md,
 * "TAXII 2.1"). `fetch` only, so it runs in browsers as well as Node.
 *
 * - A mailbox is a TAXII collection (by default {@link taxiiCollectionId}); the server's
 *   per-collection read/write permissions decide who may send and receive.
 * - `send` posts the envelope as a STIX 2.1 artifact (src/transports/taxii/media.ts) and resolves
 *   only when the server's status resource says the object was stored.
 * - `receive` polls `GET .../objects/` with `added_after` and follows `next` pagination; TAXII has
 *   no server-side acknowledgement, so the receiver keeps a durable cursor
 *   (src/transports/taxii/cursor.ts) that `ack()` advances. With `deleteOnAck` the object is
 *   also deleted from the collection, for servers that allow it.
 */
import { LintasError } from '../../errors/index.js';
import { checkMailboxId } from '../mailbox.js';
import { anyAborted, pause } from '../lease-renewal.js';
import {
  checkEnvelopeBody,
  checkPositiveInteger,
  checkReceiveOptions,
  envelopeBytes,
  envelopeTooLarge,
  limitEnvelope,
  transportClosed,
  type Delivery,
  type EnvelopeBody,
  type ReceiveOptions,
  type Transport,
} from '../transport.js';
import { taxiiCollectionId } from './collection-id.js';
import { CollectionCursor, MemoryTaxiiCursorStore, sortableTime, type TaxiiCursorStore } from './cursor.js';
import { ARTIFACT_OVERHEAD_BYTES, envelopeArtifact, envelopeFromObject, isStixId, isUuid, TAXII_MEDIA_TYPE } from './media.js';

/** Node's `util.inspect` hook; a registered symbol, so this module still loads in browsers. */
const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/** How the client authenticates to the TAXII server (TAXII 2.1 section 1.6.9: HTTP Basic, or a bearer token). */
export type TaxiiAuth =
  | {
      /** The HTTP Basic user name (no ":"). */
      username: string;
      /** The HTTP Basic password. */
      password: string;
    }
  | {
      /** A bearer token. */
      bearer: string;
    };

/** Options of {@link TaxiiTransport}. */
export interface TaxiiTransportOptions {
  /** The API root URL, e.g. "https://taxii.example.org/lintas/" (see {@link discoverTaxii}). */
  apiRoot: string;
  /** Credentials; omit for a server that needs none. */
  auth?: TaxiiAuth;
  /** The collection id of a mailbox. Default {@link taxiiCollectionId}. */
  collectionFor?: (mailbox: string) => string;
  /**
   * Where receivers keep their cursors. Default: in memory (a restarted receiver sees every
   * envelope still in the collection again, and the replay guard drops those it processed);
   * on Node use `FileTaxiiCursorStore` from `lintas/node` so a restart resumes exactly.
   */
  cursorStore?: TaxiiCursorStore;
  /** How often a receive loop asks for new objects, in ms. Default 2 000. */
  pollIntervalMs?: number;
  /** Objects asked for per page (`limit`). Default 50. */
  pageLimit?: number;
  /** Largest envelope sent, in bytes; the server's `max_content_length` also applies. Default 64 MiB. */
  maxEnvelopeBytes?: number;
  /** How long `send` waits for a pending status resource to complete, in ms. Default 30 000. */
  statusTimeoutMs?: number;
  /** Delete an acknowledged object from the collection (needs the server's DELETE support). Default false. */
  deleteOnAck?: boolean;
  /** A `fetch` to use instead of the global one (custom TLS agents, tests). */
  fetch?: typeof fetch;
}

/** The discovery resource of a TAXII server (TAXII 2.1 section 4.1). */
export interface TaxiiDiscovery {
  /** The server's title. */
  title: string;
  /** Its description, if it gives one. */
  description?: string;
  /** Who runs it, if it says. */
  contact?: string;
  /** The default API root, as an absolute URL. */
  default?: string;
  /** The API roots this user may know of, as absolute URLs. */
  api_roots: string[];
}

/** Cursors shared by every transport that uses the same store, so their leases see each other. */
const sharedCursors = new WeakMap<TaxiiCursorStore, Map<string, Promise<CollectionCursor>>>();

function cursorFor(store: TaxiiCursorStore, key: string): Promise<CollectionCursor> {
  let byKey = sharedCursors.get(store);
  if (!byKey) sharedCursors.set(store, (byKey = new Map()));
  let c = byKey.get(key);
  if (!c) {
    c = CollectionCursor.open(store, key);
    c.catch(() => byKey.delete(key)); // a failed load (a locked store) may be retried
    byKey.set(key, c);
  }
  return c;
}

/**
 * Ask a TAXII server which API roots it has (`GET /taxii2/`, TAXII 2.1 section 4.1).
 * @param url The server's discovery URL, e.g. "https://taxii.example.org/taxii2/".
 * @throws {@link LintasError} `ERR_TAXII_AUTH_FAILED`, `ERR_TAXII_PROTOCOL`, `ERR_TRANSPORT_UNAVAILABLE`.
 */
export async function discoverTaxii(url: string, options: { auth?: TaxiiAuth; fetch?: typeof fetch } = {}): Promise<TaxiiDiscovery> {
  const http = new TaxiiHttp(checkHttpUrl(url, 'url'), options.auth, options.fetch);
  const body = await http.json(url, { method: 'GET' });
  if (typeof body.title !== 'string') throw protocolError('the discovery resource has no title');
  const roots = body.api_roots ?? [];
  if (!Array.isArray(roots) || !roots.every((r) => typeof r === 'string')) throw protocolError('api_roots is not a list of URLs');
  return {
    title: body.title,
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    ...(typeof body.contact === 'string' ? { contact: body.contact } : {}),
    ...(typeof body.default === 'string' ? { default: new URL(body.default, url).href } : {}),
    api_roots: (roots as string[]).map((r) => new URL(r, url).href),
  };
}

/**
 * A {@link Transport} over a TAXII 2.1 server. Ordering: FIFO per mailbox (the server's
 * `date_added` order). Durability: `send` resolves once the server's status resource reports
 * the object stored; an acknowledgement is durable once the cursor store saved it.
 * @example
 * ```ts
 * import { mkdtemp, rm } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { envelopeBytes, generateIdentityKeys, mailboxId, open, seal, TaxiiTransport, taxiiCollectionId } from 'lintas';
 * import { FileTaxiiCursorStore, startTaxiiServer } from 'lintas/node';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'taxii-'));
 * const analyst = await generateIdentityKeys();
 * const source = await generateIdentityKeys();
 * const inbox = mailboxId(analyst.signing.publicKey);
 * const server = await startTaxiiServer({ // usually an existing TAXII server, or `lintas taxii serve`
 *   dir: join(dir, 'server'),
 *   collections: [{ id: taxiiCollectionId(inbox), title: 'analyst inbox' }],
 *   users: [
 *     { username: 'source', password: 'source-password', canWrite: [taxiiCollectionId(inbox)] },
 *     { username: 'analyst', password: 'analyst-password', canRead: [taxiiCollectionId(inbox)] },
 *   ],
 * });
 *
 * const sender = new TaxiiTransport({ apiRoot: server.apiRoot, auth: { username: 'source', password: 'source-password' } });
 * await sender.send(inbox, await seal(new TextEncoder().encode('tip'), { recipients: [analyst.xwing], sender: source.signing }));
 *
 * const cursors = new FileTaxiiCursorStore(join(dir, 'cursors'));
 * const receiver = new TaxiiTransport({ apiRoot: server.apiRoot, auth: { username: 'analyst', password: 'analyst-password' }, cursorStore: cursors });
 * for await (const delivery of receiver.receive(inbox, { untilEmpty: true })) {
 *   const opened = await open(await envelopeBytes(delivery.envelope), { keys: [analyst.xwing] });
 *   console.log(new TextDecoder().decode(opened.payload)); // tip
 *   await delivery.ack();
 * }
 * await Promise.all([sender.close(), receiver.close()]);
 * await cursors.close();
 * await server.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export class TaxiiTransport implements Transport {
  private readonly apiRoot: string;
  private readonly http: TaxiiHttp;
  private readonly collectionFor: (mailbox: string) => string;
  private readonly cursorStore: TaxiiCursorStore;
  private readonly pollIntervalMs: number;
  private readonly pageLimit: number;
  private readonly maxEnvelopeBytes: number;
  private readonly statusTimeoutMs: number;
  private readonly deleteOnAck: boolean;
  private readonly closing = new AbortController();
  private readonly holders = new Set<{ cursor: CollectionCursor; holder: symbol }>();
  private rootInfo: Promise<{ maxContentLength: number }> | null = null;

  /** Prints without credentials (`console.log`, `util.inspect`). */
  [INSPECT](): string {
    return `TaxiiTransport { apiRoot: ${this.apiRoot}, [credentials not shown] }`;
  }

  /** `JSON.stringify` shows no credentials either. */
  toJSON(): {
    /** The class name. */
    type: 'TaxiiTransport';
    /** The API root URL. */
    apiRoot: string;
  } {
    return { type: 'TaxiiTransport', apiRoot: this.apiRoot };
  }

  /** @throws {TypeError} / {RangeError} for invalid options. */
  constructor(options: TaxiiTransportOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    this.apiRoot = checkHttpUrl(options.apiRoot, 'options.apiRoot').replace(/\/*$/, '/');
    if (options.auth !== undefined) checkAuth(options.auth);
    if (options.collectionFor !== undefined && typeof options.collectionFor !== 'function') throw new TypeError('options.collectionFor must be a function');
    this.collectionFor = options.collectionFor ?? taxiiCollectionId;
    const store = options.cursorStore;
    if (store !== undefined && (store === null || typeof store.load !== 'function' || typeof store.save !== 'function')) {
      throw new TypeError('options.cursorStore must have load() and save()');
    }
    this.cursorStore = store ?? new MemoryTaxiiCursorStore();
    this.pollIntervalMs = checkPositiveInteger(options.pollIntervalMs, 'options.pollIntervalMs', 2_000);
    this.pageLimit = checkPositiveInteger(options.pageLimit, 'options.pageLimit', 50);
    this.maxEnvelopeBytes = checkPositiveInteger(options.maxEnvelopeBytes, 'options.maxEnvelopeBytes', 64 * 1024 * 1024);
    this.statusTimeoutMs = checkPositiveInteger(options.statusTimeoutMs, 'options.statusTimeoutMs', 30_000);
    if (options.deleteOnAck !== undefined && typeof options.deleteOnAck !== 'boolean') throw new TypeError('options.deleteOnAck must be a boolean');
    this.deleteOnAck = options.deleteOnAck ?? false;
    if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError('options.fetch must be a function');
    this.http = new TaxiiHttp(this.apiRoot, options.auth, options.fetch, this.closing.signal);
  }

  /**
   * @inheritdoc
   * @throws {@link LintasError} also `ERR_TAXII_AUTH_FAILED` (credentials refused, or no write
   * permission on the collection), `ERR_TAXII_REFUSED` (the server did not store the object),
   * `ERR_TAXII_PROTOCOL` (an answer that is not TAXII 2.1).
   */
  async send(mailbox: string, envelope: EnvelopeBody): Promise<void> {
    checkMailboxId(mailbox);
    checkEnvelopeBody(envelope);
    this.assertOpen();
    const { maxContentLength } = await this.root();
    const limit = Math.min(this.maxEnvelopeBytes, Math.floor(((maxContentLength - ARTIFACT_OVERHEAD_BYTES) * 3) / 4));
    if (envelope instanceof Uint8Array && envelope.length > limit) throw envelopeTooLarge(limit);
    const bytes = envelope instanceof Uint8Array ? envelope : await envelopeBytes(limitEnvelope(envelope, limit));
    const collection = this.collectionUrl(mailbox);
    const body = JSON.stringify({ objects: [envelopeArtifact(bytes)] });
    if (body.length > maxContentLength) throw envelopeTooLarge(limit); // the JSON is ASCII: its length is its size
    const status = await this.http.json(`${collection}objects/`, { method: 'POST', body, headers: { 'content-type': TAXII_MEDIA_TYPE } }, 'write');
    await this.awaitStored(status);
  }

  /** @inheritdoc */
  receive(mailbox: string, options?: ReceiveOptions): AsyncIterable<Delivery> {
    checkMailboxId(mailbox);
    const o = checkReceiveOptions(options);
    return this.loop(mailbox, o.untilEmpty, o.signal);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    for (const { cursor, holder } of this.holders) cursor.releaseAll(holder);
    this.holders.clear();
  }

  private async *loop(mailbox: string, untilEmpty: boolean, signal: AbortSignal | null): AsyncGenerator<Delivery> {
    this.assertOpen();
    const collection = this.collectionUrl(mailbox);
    const cursor = await cursorFor(this.cursorStore, collection);
    const holding = { cursor, holder: Symbol('receive loop') };
    this.holders.add(holding);
    const stopped = (): boolean => anyAborted(signal, this.closing.signal);
    try {
      while (!stopped()) {
        let delivered = 0;
        cursor.startPass(holding.holder);
        let next: string | null = null;
        let addedAfter = cursor.addedAfter();
        let more: boolean;
        do {
          let page: Awaited<ReturnType<TaxiiTransport['manifestPage']>>;
          try {
            page = await this.manifestPage(collection, addedAfter, next);
          } catch (e) {
            if (stopped()) return; // closed or aborted while the request was out: end quietly
            throw e;
          }
          if (stopped()) return;
          for (const entry of page.entries) {
            if (cursor.isDone(entry.id, entry.dateAdded, holding.holder) || !cursor.lease(entry.id, holding.holder)) continue;
            let envelope: Uint8Array | null;
            try {
              envelope = await this.fetchEnvelope(collection, entry.id);
            } catch (e) {
              if (stopped()) return;
              throw e;
            }
            if (envelope === null) {
              // STIX content that is not a lintas envelope (or was deleted meanwhile): not ours.
              await cursor.finish([entry]);
              continue;
            }
            if (stopped()) return;
            delivered++;
            yield this.delivery(cursor, collection, { ...entry, envelope });
            if (stopped()) return;
          }
          next = page.next;
          if (page.addedAfter !== undefined) addedAfter = page.addedAfter;
          more = page.next !== null || page.addedAfter !== undefined;
        } while (more);
        if (delivered === 0) {
          if (untilEmpty) return;
          await pause(this.pollIntervalMs, signal, this.closing.signal);
        }
      }
    } finally {
      cursor.releaseAll(holding.holder);
      this.holders.delete(holding);
    }
  }

  private delivery(cursor: CollectionCursor, collection: string, o: { id: string; dateAdded: string; envelope: Uint8Array }): Delivery {
    let acked = false;
    return {
      id: o.id,
      envelope: o.envelope,
      ack: async () => {
        if (this.closing.signal.aborted) throw transportClosed();
        if (acked) return;
        await cursor.finish([{ id: o.id, dateAdded: o.dateAdded }]); // durable before ack resolves; ends the lease
        acked = true;
        if (this.deleteOnAck) {
          // Best effort: the cursor already records the ack; a server that refuses DELETE keeps the object.
          await this.http.request(`${collection}objects/${encodeURIComponent(o.id)}/`, { method: 'DELETE' }).catch(() => {});
        }
      },
    };
  }

  /**
   * One page of the collection's manifest (TAXII 2.1 section 5.6): ids and `date_added` of the
   * artifacts added after `addedAfter`, oldest first. `next` continues a paginated answer; a
   * server that answers `more: true` without `next` is followed with `added_after` set to its
   * X-TAXII-Date-Added-Last header (TAXII 2.1 section 3.4).
   */
  private async manifestPage(
    collection: string,
    addedAfter: string | null,
    next: string | null,
  ): Promise<{ entries: { id: string; dateAdded: string }[]; next: string | null; addedAfter?: string }> {
    const q = new URLSearchParams({ limit: String(this.pageLimit), 'match[type]': 'artifact' });
    if (addedAfter !== null) q.set('added_after', addedAfter);
    if (next !== null) q.set('next', next);
    const res = await this.http.request(`${collection}manifest/?${q}`, { method: 'GET' }, 'read');
    const body = await this.http.readJson(res);
    const raw = body.objects ?? [];
    if (!Array.isArray(raw)) throw protocolError('the manifest\'s objects is not a list');
    const entries = raw.map((e: unknown) => {
      const r = e as { id?: unknown; date_added?: unknown } | null;
      if (r === null || typeof r !== 'object' || !isStixId(r.id)) throw protocolError('a manifest record without a valid STIX id');
      if (typeof r.date_added !== 'string' || sortableTime(r.date_added) === null) throw protocolError(`a manifest record without a valid date_added (${r.id})`);
      return { id: r.id, dateAdded: r.date_added };
    });
    entries.sort((a, b) => (sortableTime(a.dateAdded)! < sortableTime(b.dateAdded)! ? -1 : 1));
    if (body.more !== true) return { entries, next: null };
    if (typeof body.next === 'string' && body.next.length > 0) return { entries, next: body.next };
    const last = res.headers.get('x-taxii-date-added-last');
    if (last === null || sortableTime(last) === null) throw protocolError('more: true without next or X-TAXII-Date-Added-Last');
    return { entries, next: null, addedAfter: last };
  }

  /** The envelope in object `id` (`GET .../objects/{id}/`), or null if it is not a lintas envelope artifact or is gone. */
  private async fetchEnvelope(collection: string, id: string): Promise<Uint8Array | null> {
    let body: Record<string, unknown>;
    try {
      body = await this.http.json(`${collection}objects/${encodeURIComponent(id)}/`, { method: 'GET' }, 'read');
    } catch (e) {
      if (e instanceof LintasError && e.code === 'ERR_TAXII_REFUSED' && /: 404/.test(e.message)) return null; // deleted meanwhile
      throw e;
    }
    const objects = body.objects;
    if (!Array.isArray(objects)) return null;
    const found = objects.find((o) => o !== null && typeof o === 'object' && (o as { id?: unknown }).id === id);
    return found === undefined ? null : envelopeFromObject(found);
  }

  /** Wait until a status resource (TAXII 2.1 section 4.3) reports the one object stored. */
  private async awaitStored(first: Record<string, unknown>): Promise<void> {
    let status = first;
    const deadline = Date.now() + this.statusTimeoutMs;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      checkStatus(status);
      if (Number(status.failure_count ?? 0) > 0) {
        const why = Array.isArray(status.failures) ? (status.failures[0] as { message?: unknown } | undefined)?.message : undefined;
        throw new LintasError('ERR_TAXII_REFUSED', `The TAXII server did not store the envelope${typeof why === 'string' ? `: ${clip(why)}` : ''}`);
      }
      if (status.status === 'complete') {
        if (Number(status.success_count) >= 1) return;
        throw protocolError('the status is complete but counts no success');
      }
      if (Date.now() + wait > deadline) {
        throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', `The TAXII server has not confirmed storing the envelope within ${this.statusTimeoutMs} ms (status ${String(status.id)} still pending); check it later or send again (the replay guard drops a duplicate)`);
      }
      await pause(wait, this.closing.signal);
      this.assertOpen();
      status = await this.http.json(`${this.apiRoot}status/${encodeURIComponent(String(status.id))}/`, { method: 'GET' });
    }
  }

  /** The API root's information (TAXII 2.1 section 4.2), fetched once. */
  private root(): Promise<{ maxContentLength: number }> {
    this.rootInfo ??= this.http.json(this.apiRoot, { method: 'GET' }).then((body) => {
      const versions = body.versions;
      if (!Array.isArray(versions) || !versions.some((v) => typeof v === 'string' && v.replace(/\s/g, '').toLowerCase() === TAXII_MEDIA_TYPE)) {
        throw protocolError(`the API root does not list ${TAXII_MEDIA_TYPE} in versions`);
      }
      const max = body.max_content_length;
      if (typeof max !== 'number' || !Number.isSafeInteger(max) || max <= 0) throw protocolError('the API root has no valid max_content_length');
      return { maxContentLength: max };
    });
    this.rootInfo.catch(() => (this.rootInfo = null));
    return this.rootInfo;
  }

  private collectionUrl(mailbox: string): string {
    const id = this.collectionFor(mailbox);
    if (!isUuid(id)) {
      throw new TypeError('options.collectionFor must return a collection id (a UUID)');
    }
    return `${this.apiRoot}collections/${id}/`;
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw transportClosed();
  }
}

/** HTTP with TAXII's media type, credentials and error mapping (TAXII 2.1 sections 1.6 and 3.6). */
class TaxiiHttp {
  private readonly fetch: typeof fetch;
  private readonly authorization: string | null;

  constructor(
    private readonly base: string,
    auth: TaxiiAuth | undefined,
    f: typeof fetch | undefined,
    private readonly signal: AbortSignal | null = null,
  ) {
    const chosen = f ?? globalThis.fetch;
    if (typeof chosen !== 'function') throw new TypeError('no fetch available: pass options.fetch');
    this.fetch = chosen.bind(globalThis);
    this.authorization = auth === undefined ? null : 'bearer' in auth ? `Bearer ${auth.bearer}` : `Basic ${btoa(unescape(encodeURIComponent(`${auth.username}:${auth.password}`)))}`;
  }

  /** A request; resolves with a 2xx response, throws a typed error for anything else. */
  async request(url: string, init: RequestInit, access?: 'read' | 'write'): Promise<Response> {
    const headers: Record<string, string> = { accept: TAXII_MEDIA_TYPE, ...(init.headers as Record<string, string> | undefined) };
    if (this.authorization) headers.authorization = this.authorization;
    let res: Response;
    try {
      res = await this.fetch(url, { ...init, headers, redirect: 'error', ...(this.signal ? { signal: this.signal } : {}) });
    } catch (cause) {
      if (this.signal?.aborted) throw transportClosed();
      throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', `Could not reach the TAXII server at ${new URL(this.base).origin}: check the URL and that it is running`, { cause });
    }
    if (res.ok) return res;
    const detail = await errorTitle(res);
    const what = `${init.method ?? 'GET'} ${new URL(url).pathname}`;
    if (res.status === 401) throw new LintasError('ERR_TAXII_AUTH_FAILED', `The TAXII server refused the credentials (${what}: 401${detail})`);
    if (res.status === 403) {
      throw new LintasError('ERR_TAXII_AUTH_FAILED', `These credentials may not ${access ?? 'use'} this collection on the TAXII server (${what}: 403${detail})`);
    }
    if (res.status === 413) throw new LintasError('ERR_TRANSPORT_ENVELOPE_TOO_LARGE', `The TAXII server refused the envelope as too large (413${detail})`);
    if (res.status === 404) throw new LintasError('ERR_TAXII_REFUSED', `The TAXII server has no such resource (${what}: 404${detail}); is the collection for this mailbox created?`);
    if (res.status === 429 || res.status >= 500) throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', `The TAXII server answered ${res.status}${detail}; try again later`);
    throw new LintasError('ERR_TAXII_REFUSED', `The TAXII server refused the request (${what}: ${res.status}${detail})`);
  }

  /** A request whose answer is a TAXII JSON object. */
  async json(url: string, init: RequestInit, access?: 'read' | 'write'): Promise<Record<string, unknown>> {
    return this.readJson(await this.request(url, init, access));
  }

  /** The body of a TAXII answer, checked to be a JSON object of the TAXII media type. */
  async readJson(res: Response): Promise<Record<string, unknown>> {
    const type = (res.headers.get('content-type') ?? '').replace(/\s/g, '').toLowerCase();
    if (!type.startsWith('application/taxii+json')) throw protocolError(`the answer has content type "${clip(type)}", not ${TAXII_MEDIA_TYPE}`);
    let body: unknown;
    try {
      body = await res.json();
    } catch (cause) {
      throw new LintasError('ERR_TAXII_PROTOCOL', 'The TAXII server sent invalid JSON', { cause });
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw protocolError('the answer is not a JSON object');
    return body as Record<string, unknown>;
  }
}

/** The title of a TAXII error message resource (TAXII 2.1 section 3.6.1), if the body is one. */
async function errorTitle(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { title?: unknown; description?: unknown };
    const parts = [body.title, body.description].filter((x): x is string => typeof x === 'string');
    return parts.length ? `: ${clip(parts.join(': '))}` : '';
  } catch {
    return '';
  }
}

function checkStatus(status: Record<string, unknown>): void {
  if (typeof status.id !== 'string' || (status.status !== 'complete' && status.status !== 'pending')) {
    throw protocolError('the answer to POST objects is not a status resource');
  }
}

function protocolError(why: string): LintasError {
  return new LintasError('ERR_TAXII_PROTOCOL', `The server did not answer as a TAXII 2.1 server: ${why}`);
}

/** A server-provided string, shortened and stripped of control characters before it is shown. */
function clip(s: string): string {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

function checkHttpUrl(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a URL string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${name} must be a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`${name} must be an http(s) URL`);
  if (url.username || url.password) throw new TypeError(`${name} must not carry credentials: use options.auth`);
  return url.href;
}

function checkAuth(auth: unknown): void {
  if (auth === null || typeof auth !== 'object') throw new TypeError('options.auth must be { username, password } or { bearer }');
  const a = auth as Record<string, unknown>;
  if ('bearer' in a) {
    if (typeof a.bearer !== 'string' || a.bearer.length === 0) throw new TypeError('options.auth.bearer must be a non-empty string');
    return;
  }
  if (typeof a.username !== 'string' || typeof a.password !== 'string') throw new TypeError('options.auth must be { username, password } or { bearer }');
  if (a.username.includes(':')) throw new RangeError('options.auth.username must not contain ":" (HTTP Basic)');
}
