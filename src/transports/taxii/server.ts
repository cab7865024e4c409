/**
 * A small TAXII 2.1 server (Node) for agencies that run none: one API root, the collections it
 * is given, HTTP Basic or bearer users with read/write permissions per collection, and objects
 * stored durably on disk. It follows the TAXII 2.1 resources, error messages and pagination
 * (OASIS TAXII 2.1 sections 3-5) for any STIX content, not only lintas envelopes, so the
 * conformance of TaxiiTransport is tested against a real protocol implementation.
 *
 * Storage, per collection folder: each object in its own file written durably, and an
 * append-only index (`index.jsonl`: add and delete records, fsynced) read back at start. A POST
 * is answered with a `complete` status only after both are on disk. Memory holds the index
 * (ids and dates), never the objects.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { sha256 } from '../../crypto/hash.js';
import { utf8 } from '../../crypto/bytes.js';
import { checkPositiveInteger } from '../transport.js';
import { syncDirectory, writeAll, writeFileDurably } from '../durable-file.js';
import { isStixId, isUuid, randomUuid, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE } from './media.js';
import { sortableTime } from './cursor.js';

/** A collection the server hosts. */
export interface TaxiiServerCollection {
  /** Its id (a UUID; for a lintas mailbox, `taxiiCollectionId(mailbox)`). */
  id: string;
  /** A human-readable title. */
  title: string;
  /** Optional description. */
  description?: string;
}

/** A user of the server: HTTP Basic (`username` + `password`) or a bearer `token`. */
export interface TaxiiServerUser {
  /** The user's name (also for bearer users, in logs and status ownership). */
  username: string;
  /** The HTTP Basic password (at least 12 characters). */
  password?: string;
  /** A bearer token (at least 24 characters). */
  token?: string;
  /** Collections this user may read (`'*'`: all). Default none. */
  canRead?: string[] | '*';
  /** Collections this user may write (`'*'`: all). Default none. */
  canWrite?: string[] | '*';
}

/** Options of {@link startTaxiiServer}. */
export interface TaxiiServerOptions {
  /** Folder for the collections' objects (created if missing). */
  dir: string;
  /** The collections to host. */
  collections: TaxiiServerCollection[];
  /** Who may use the server; every request must authenticate as one of them. */
  users: TaxiiServerUser[];
  /** Address to listen on. Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Port; default 0 (any free port). */
  port?: number;
  /** The API root's path segment. Default "lintas". */
  apiRootName?: string;
  /** The largest request body accepted (`max_content_length`), in bytes. Default 96 MiB (a 64 MiB envelope in base64). */
  maxContentLength?: number;
  /** Serve HTTPS with this key and certificate (PEM). Default plain HTTP. */
  tls?: {
    /** The private key, PEM. */
    key: string | Uint8Array;
    /** The certificate (chain), PEM. */
    cert: string | Uint8Array;
  };
  /** The discovery resource's title. Default "lintas TAXII server". */
  title?: string;
}

/** A running TAXII server. */
export interface TaxiiServer {
  /** The discovery URL (`.../taxii2/`). */
  readonly discoveryUrl: string;
  /** The API root URL, for {@link TaxiiTransportOptions.apiRoot}. */
  readonly apiRoot: string;
  /** Stop listening and wait for open requests to end. */
  close(): Promise<void>;
}

interface IndexEntry {
  seq: number;
  id: string;
  dateAdded: string;
  file: string;
}

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;
const MAX_STATUSES = 10_000;

/**
 * Start a TAXII 2.1 server. Also `lintas taxii serve`.
 * @throws {TypeError} / {RangeError} for invalid options; the listen error if the port is taken.
 */
export async function startTaxiiServer(options: TaxiiServerOptions): Promise<TaxiiServer> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  if (typeof options.dir !== 'string' || options.dir.length === 0) throw new TypeError('options.dir must be a folder path');
  const rootName = options.apiRootName ?? 'lintas';
  if (typeof rootName !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(rootName)) throw new RangeError('options.apiRootName must be 1-63 lower-case letters, digits or "-"');
  const maxContentLength = checkPositiveInteger(options.maxContentLength, 'options.maxContentLength', 96 * 1024 * 1024);
  const collections = checkCollections(options.collections);
  const users = checkUsers(options.users, collections);
  const host = options.host ?? '127.0.0.1';
  const store = new Map<string, CollectionStore>();
  for (const c of collections.values()) store.set(c.id, await CollectionStore.open(join(options.dir, c.id)));
  const statuses = new Map<string, { owner: string; body: Record<string, unknown> }>();
  let lastAdded = '';

  /** A date_added later than every earlier one (microseconds), so `added_after` never skips. */
  const nextDateAdded = (): string => {
    const ms = new Date().toISOString(); // ...sss Z
    let candidate = `${ms.slice(0, 23)}000Z`;
    if (sortableTime(candidate)! <= sortableTime(lastAdded || '1970-01-01T00:00:00Z')!) {
      const [whole, frac] = [lastAdded.slice(0, 19), Number(lastAdded.slice(20, 26)) + 1];
      candidate = frac >= 1_000_000 ? `${new Date(Date.parse(`${whole}Z`) + 1000).toISOString().slice(0, 19)}.000000Z` : `${whole}.${String(frac).padStart(6, '0')}Z`;
    }
    lastAdded = candidate;
    return candidate;
  };
  for (const s of store.values()) {
    const newest = s.newest();
    if (newest && sortableTime(newest)! > sortableTime(lastAdded || '1970-01-01T00:00:00Z')!) lastAdded = newest;
  }

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://taxii.invalid');
    const user = authenticate(req, users);
    if (!user) {
      res.setHeader('www-authenticate', 'Basic realm="lintas TAXII", charset="UTF-8"');
      return error(res, 401, 'Authentication required', 'Give HTTP Basic credentials or a bearer token of a configured user.');
    }
    if (!acceptsTaxii(req.headers.accept)) return error(res, 406, 'Not acceptable', `Send Accept: ${TAXII_MEDIA_TYPE}.`);
    const parts = url.pathname.split('/').filter((p) => p.length > 0);
    const method = req.method ?? 'GET';
    if (parts.length === 1 && parts[0] === 'taxii2') {
      if (method !== 'GET') return error(res, 405, 'Method not allowed', 'Discovery is GET only.');
      return send(res, 200, { title: options.title ?? 'lintas TAXII server', description: 'Carries lintas envelopes as STIX 2.1 artifacts', default: `/${rootName}/`, api_roots: [`/${rootName}/`] });
    }
    if (parts[0] !== rootName) return error(res, 404, 'Not found', 'No such API root.');
    if (parts.length === 1) {
      if (method !== 'GET') return error(res, 405, 'Method not allowed', 'The API root is GET only.');
      return send(res, 200, { title: `lintas API root ${rootName}`, versions: [TAXII_MEDIA_TYPE], max_content_length: maxContentLength });
    }
    if (parts[1] === 'status' && parts.length === 3) {
      const s = statuses.get(parts[2]!);
      if (!s || s.owner !== user.username) return error(res, 404, 'Not found', 'No such status resource.');
      return send(res, 200, s.body);
    }
    if (parts[1] !== 'collections') return error(res, 404, 'Not found', 'No such resource.');
    if (parts.length === 2) {
      if (method !== 'GET') return error(res, 405, 'Method not allowed', 'Collections is GET only.');
      const visible = [...collections.values()].filter((c) => may(user, 'read', c.id) || may(user, 'write', c.id));
      return send(res, 200, visible.length ? { collections: visible.map((c) => describe(c, user)) } : {});
    }
    const collection = collections.get(parts[2]!);
    if (!collection || !(may(user, 'read', collection.id) || may(user, 'write', collection.id))) return error(res, 404, 'Not found', 'No such collection for this user.');
    const objects = store.get(collection.id)!;
    if (parts.length === 3) return method === 'GET' ? send(res, 200, describe(collection, user)) : error(res, 405, 'Method not allowed', 'A collection is GET only.');
    const canRead = may(user, 'read', collection.id);
    const canWrite = may(user, 'write', collection.id);
    if (parts[3] === 'manifest' && parts.length === 4) {
      if (method !== 'GET') return error(res, 405, 'Method not allowed', 'The manifest is GET only.');
      if (!canRead) return error(res, 403, 'Forbidden', 'This user may not read this collection.');
      const page = objects.page(url.searchParams);
      if ('error' in page) return error(res, 400, 'Bad request', page.error);
      pageHeaders(res, page.entries);
      return send(res, 200, page.entries.length ? { more: page.more, ...(page.next ? { next: page.next } : {}), objects: page.entries.map((e) => ({ id: e.id, date_added: e.dateAdded, version: e.dateAdded, media_type: STIX_MEDIA_TYPE })) } : {});
    }
    if (parts[3] !== 'objects') return error(res, 404, 'Not found', 'No such resource.');
    if (parts.length === 4) {
      if (method === 'GET') {
        if (!canRead) return error(res, 403, 'Forbidden', 'This user may not read this collection.');
        const page = objects.page(url.searchParams);
        if ('error' in page) return error(res, 400, 'Bad request', page.error);
        pageHeaders(res, page.entries);
        const list = await Promise.all(page.entries.map((e) => objects.read(e)));
        return send(res, 200, list.length ? { more: page.more, ...(page.next ? { next: page.next } : {}), objects: list } : {});
      }
      if (method !== 'POST') return error(res, 405, 'Method not allowed', 'Objects take GET and POST.');
      if (!canWrite) return error(res, 403, 'Forbidden', 'This user may not write to this collection.');
      if (!isTaxiiType(req.headers['content-type'])) return error(res, 415, 'Unsupported media type', `Send Content-Type: ${TAXII_MEDIA_TYPE}.`);
      const body = await readBody(req, maxContentLength);
      if (body === null) return error(res, 413, 'Request too large', `The body is larger than max_content_length (${maxContentLength} bytes).`);
      let envelope: unknown;
      try {
        envelope = JSON.parse(body);
      } catch {
        return error(res, 400, 'Bad request', 'The body is not JSON.');
      }
      const list = (envelope as { objects?: unknown } | null)?.objects;
      if (!Array.isArray(list)) return error(res, 422, 'Unprocessable', 'The body is not a TAXII envelope with an objects list.');
      const requestTimestamp = new Date().toISOString();
      const successes: { id: string; version: string }[] = [];
      const failures: { id: string; message: string }[] = [];
      for (const o of list) {
        const why = invalidStixObject(o);
        const id = typeof (o as { id?: unknown })?.id === 'string' ? String((o as { id: string }).id).slice(0, 300) : '';
        if (why) failures.push({ id, message: why });
        else successes.push({ id, version: await objects.add(id, o, nextDateAdded) });
      }
      const status = {
        id: randomUuid(),
        status: 'complete',
        request_timestamp: requestTimestamp,
        total_count: list.length,
        success_count: successes.length,
        successes,
        failure_count: failures.length,
        failures,
        pending_count: 0,
      };
      statuses.set(status.id, { owner: user.username, body: status });
      if (statuses.size > MAX_STATUSES) statuses.delete(statuses.keys().next().value!);
      return send(res, 202, status);
    }
    const objectId = decodeURIComponent(parts[4]!);
    if (!isStixId(objectId)) return error(res, 404, 'Not found', 'No such object.');
    if (parts.length === 5) {
      if (method === 'GET') {
        if (!canRead) return error(res, 403, 'Forbidden', 'This user may not read this collection.');
        const entry = objects.get(objectId);
        if (!entry) return error(res, 404, 'Not found', 'No such object.');
        pageHeaders(res, [entry]);
        return send(res, 200, { more: false, objects: [await objects.read(entry)] });
      }
      if (method === 'DELETE') {
        if (!canRead || !canWrite) return error(res, 403, 'Forbidden', 'Deleting needs read and write permission on the collection.');
        if (!(await objects.remove(objectId))) return error(res, 404, 'Not found', 'No such object.');
        res.writeHead(200).end();
        return;
      }
      return error(res, 405, 'Method not allowed', 'An object takes GET and DELETE.');
    }
    if (parts.length === 6 && parts[5] === 'versions' && method === 'GET') {
      if (!canRead) return error(res, 403, 'Forbidden', 'This user may not read this collection.');
      const entry = objects.get(objectId);
      if (!entry) return error(res, 404, 'Not found', 'No such object.');
      return send(res, 200, { more: false, versions: [entry.dateAdded] });
    }
    return error(res, 404, 'Not found', 'No such resource.');
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch(() => {
      if (!res.headersSent) error(res, 500, 'Server error', 'The server could not complete the request; try again.');
      else res.destroy();
    });
  };
  const server: Server = options.tls ? createHttpsServer({ key: toPem(options.tls.key), cert: toPem(options.tls.cert) }, listener) : createHttpServer(listener);
  server.requestTimeout = 300_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    discoveryUrl: `${origin}/taxii2/`,
    apiRoot: `${origin}/${rootName}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** One collection on disk: an append-only index of add/delete records and one file per object. */
class CollectionStore {
  private readonly entries: IndexEntry[] = [];
  private readonly byId = new Map<string, IndexEntry>();
  private seq = 0;
  private appending: Promise<void> = Promise.resolve();
  /** True once the index file's directory entry is known to be durable. */
  private indexSynced = false;

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<CollectionStore> {
    await mkdir(join(dir, 'objects'), { recursive: true });
    const s = new CollectionStore(dir);
    let text = '';
    try {
      text = await readFile(join(dir, 'index.jsonl'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const lines = text.split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.length === 0) continue;
      let r: { op?: string; id?: string; dateAdded?: string; file?: string };
      try {
        r = JSON.parse(line) as typeof r;
      } catch (e) {
        if (i === lines.length - 1) break; // a torn last record: its POST was never answered
        throw new Error(`TAXII index ${join(dir, 'index.jsonl')} is damaged at line ${i + 1}`, { cause: e });
      }
      if (r.op === 'add' && r.id && r.dateAdded && r.file) s.insert({ seq: ++s.seq, id: r.id, dateAdded: r.dateAdded, file: r.file });
      if (r.op === 'del' && r.id) s.drop(r.id);
    }
    return s;
  }

  newest(): string | null {
    return this.entries.length ? this.entries[this.entries.length - 1]!.dateAdded : null;
  }

  get(id: string): IndexEntry | undefined {
    return this.byId.get(id);
  }

  async read(e: IndexEntry): Promise<unknown> {
    return JSON.parse(await readFile(join(this.dir, 'objects', e.file), 'utf8')) as unknown;
  }

  /**
   * Store `object` and return its date_added. The date is taken when the index record is
   * appended, one record at a time, so objects become visible in date_added order: a reader that
   * saw a later date never misses an earlier object that was still being written.
   */
  async add(id: string, object: unknown, nextDate: () => string): Promise<string> {
    const file = `${randomUuid()}.json`;
    const bytes = utf8(JSON.stringify(object));
    await writeFileDurably(join(this.dir, 'objects', `${file}.tmp`), join(this.dir, 'objects', file), (async function* () {
      yield bytes;
    })());
    let dateAdded = '';
    let old: IndexEntry | undefined;
    await this.append(
      () => {
        dateAdded = nextDate();
        return { op: 'add', id, dateAdded, file };
      },
      () => {
        old = this.byId.get(id);
        if (old) this.drop(id); // a new version of the same id replaces the old one here (artifacts have one version)
        this.insert({ seq: ++this.seq, id, dateAdded, file });
      },
    );
    if (old) await unlink(join(this.dir, 'objects', old.file)).catch(() => {});
    return dateAdded;
  }

  async remove(id: string): Promise<boolean> {
    const e = this.byId.get(id);
    if (!e) return false;
    await this.append(
      () => ({ op: 'del', id }),
      () => this.drop(id),
    );
    await unlink(join(this.dir, 'objects', e.file)).catch(() => {});
    return true;
  }

  /** A page of entries for `added_after`, `limit`, `next`, `match[id]`, `match[type]` (TAXII 2.1 section 3.4-3.5). */
  page(q: URLSearchParams): { entries: IndexEntry[]; more: boolean; next: string | null } | { error: string } {
    const after = q.get('added_after');
    const afterKey = after === null ? null : sortableTime(after);
    if (after !== null && afterKey === null) return { error: 'added_after must be an RFC 3339 timestamp in UTC (Z).' };
    const limitText = q.get('limit');
    const limit = limitText === null ? DEFAULT_PAGE : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) return { error: 'limit must be a positive integer.' };
    const next = q.get('next');
    let fromSeq = 0;
    if (next !== null) {
      if (!/^s[0-9]{1,15}$/.test(next)) return { error: 'next is not a value this server gave.' };
      fromSeq = Number(next.slice(1));
    }
    const ids = q.get('match[id]')?.split(',') ?? null;
    const types = q.get('match[type]')?.split(',') ?? null;
    const selected: IndexEntry[] = [];
    let more = false;
    for (const e of this.entries) {
      if (e.seq <= fromSeq) continue;
      if (afterKey !== null && sortableTime(e.dateAdded)! <= afterKey) continue;
      if (ids && !ids.includes(e.id)) continue;
      if (types && !types.includes(e.id.slice(0, e.id.indexOf('--')))) continue;
      if (selected.length === Math.min(limit, MAX_PAGE)) {
        more = true;
        break;
      }
      selected.push(e);
    }
    return { entries: selected, more, next: more ? `s${selected[selected.length - 1]!.seq}` : null };
  }

  private insert(e: IndexEntry): void {
    this.entries.push(e);
    this.byId.set(e.id, e);
  }

  private drop(id: string): void {
    const e = this.byId.get(id);
    if (!e) return;
    this.byId.delete(id);
    this.entries.splice(this.entries.indexOf(e), 1);
  }

  /**
   * Append one index record (made when its turn comes), fsync it, then apply it in memory
   * (`applied`); records are written and applied one at a time, in order.
   */
  private append(make: () => Record<string, string>, applied: () => void): Promise<void> {
    const run = this.appending.then(async () => {
      const path = join(this.dir, 'index.jsonl');
      const h = await open(path, 'a');
      try {
        await writeAll(h, utf8(`${JSON.stringify(make())}\n`), null);
        await h.sync();
      } finally {
        await h.close();
      }
      // The folder entry of the index needs syncing once, after the append that created it.
      if (!this.indexSynced) {
        await syncDirectory(this.dir);
        this.indexSynced = true;
      }
      applied();
    });
    this.appending = run.catch(() => {});
    return run;
  }
}

function describe(c: TaxiiServerCollection, user: TaxiiServerUser): Record<string, unknown> {
  return {
    id: c.id,
    title: c.title,
    ...(c.description ? { description: c.description } : {}),
    can_read: may(user, 'read', c.id),
    can_write: may(user, 'write', c.id),
    media_types: [STIX_MEDIA_TYPE],
  };
}

function may(user: TaxiiServerUser, what: 'read' | 'write', collection: string): boolean {
  const list = what === 'read' ? user.canRead : user.canWrite;
  return list === '*' || (Array.isArray(list) && list.includes(collection));
}

/** Why `o` is not a STIX 2.1 object the server can store, or null. */
function invalidStixObject(o: unknown): string | null {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'not a JSON object';
  const r = o as Record<string, unknown>;
  if (!isStixId(r.id)) return 'id is not a STIX identifier';
  if (typeof r.type !== 'string' || !r.id.startsWith(`${r.type}--`)) return 'type does not match the id';
  if (r.type !== 'marking-definition' && r.spec_version !== '2.1') return 'spec_version must be "2.1"';
  return null;
}

function pageHeaders(res: ServerResponse, entries: IndexEntry[]): void {
  if (entries.length === 0) return;
  res.setHeader('x-taxii-date-added-first', entries[0]!.dateAdded);
  res.setHeader('x-taxii-date-added-last', entries[entries.length - 1]!.dateAdded);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': TAXII_MEDIA_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** A TAXII error message resource (TAXII 2.1 section 3.6.1). */
function error(res: ServerResponse, status: number, title: string, description: string): void {
  send(res, status, { title, description, http_status: String(status) });
}

function acceptsTaxii(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((a) => {
    const t = a.replace(/\s/g, '').toLowerCase();
    return t === TAXII_MEDIA_TYPE || t === 'application/taxii+json' || t.startsWith(`${TAXII_MEDIA_TYPE};`) || t.startsWith('application/taxii+json;q=');
  });
}

function isTaxiiType(type: string | undefined): boolean {
  const t = (type ?? '').replace(/\s/g, '').toLowerCase();
  return t === TAXII_MEDIA_TYPE || t === 'application/taxii+json';
}

/** The body as text, or null once it exceeds `max` bytes (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > max) {
      req.resume();
      return resolve(null);
    }
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n <= max) parts.push(c); // past the limit the rest is read and dropped, so the client gets the 413
    });
    req.on('end', () => resolve(n > max ? null : Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** The configured user the request authenticates as, compared in constant time. */
function authenticate(req: IncomingMessage, users: Map<string, TaxiiServerUser & { passwordHash?: Uint8Array; tokenHash?: Uint8Array }>): TaxiiServerUser | null {
  const header = req.headers.authorization ?? '';
  const [scheme, value] = [header.slice(0, header.indexOf(' ')).toLowerCase(), header.slice(header.indexOf(' ') + 1).trim()];
  if (scheme === 'basic') {
    let decoded: string;
    try {
      decoded = Buffer.from(value, 'base64').toString('utf8');
    } catch {
      return null;
    }
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const u = users.get(`basic:${decoded.slice(0, colon)}`);
    const given = sha256(utf8(decoded.slice(colon + 1)));
    return u?.passwordHash && timingSafeEqual(given, u.passwordHash) ? u : null;
  }
  if (scheme === 'bearer') {
    const given = sha256(utf8(value));
    const key = `bearer:${Buffer.from(given).toString('hex')}`;
    const u = users.get(key);
    return u?.tokenHash && timingSafeEqual(given, u.tokenHash) ? u : null;
  }
  return null;
}

function checkCollections(list: unknown): Map<string, TaxiiServerCollection> {
  if (!Array.isArray(list)) throw new TypeError('options.collections must be an array');
  const out = new Map<string, TaxiiServerCollection>();
  for (const [i, c] of list.entries()) {
    if (c === null || typeof c !== 'object') throw new TypeError(`options.collections[${i}] must be an object`);
    const { id, title } = c as TaxiiServerCollection;
    if (!isUuid(id)) throw new RangeError(`options.collections[${i}].id must be a lower-case UUID`);
    if (typeof title !== 'string' || title.length === 0) throw new TypeError(`options.collections[${i}].title must be a string`);
    if (out.has(id)) throw new RangeError(`options.collections has ${id} twice`);
    out.set(id, c as TaxiiServerCollection);
  }
  return out;
}

function checkUsers(list: unknown, collections: Map<string, TaxiiServerCollection>): Map<string, TaxiiServerUser & { passwordHash?: Uint8Array; tokenHash?: Uint8Array }> {
  if (!Array.isArray(list) || list.length === 0) throw new TypeError('options.users must be a non-empty array: the server never serves anonymous requests');
  const out = new Map<string, TaxiiServerUser & { passwordHash?: Uint8Array; tokenHash?: Uint8Array }>();
  for (const [i, u] of list.entries()) {
    if (u === null || typeof u !== 'object') throw new TypeError(`options.users[${i}] must be an object`);
    const user = u as TaxiiServerUser;
    if (typeof user.username !== 'string' || !/^[^:\s]{1,64}$/.test(user.username)) throw new RangeError(`options.users[${i}].username must be 1-64 characters without ":" or spaces`);
    for (const what of ['canRead', 'canWrite'] as const) {
      const v = user[what];
      if (v === undefined || v === '*') continue;
      if (!Array.isArray(v) || !v.every((id) => collections.has(id))) throw new RangeError(`options.users[${i}].${what} must be '*' or ids of configured collections`);
    }
    if (user.password === undefined && user.token === undefined) throw new TypeError(`options.users[${i}] needs a password or a token`);
    if (user.password !== undefined) {
      if (typeof user.password !== 'string' || user.password.length < 12) throw new RangeError(`options.users[${i}].password must be at least 12 characters`);
      out.set(`basic:${user.username}`, { ...user, passwordHash: sha256(utf8(user.password)) });
    }
    if (user.token !== undefined) {
      if (typeof user.token !== 'string' || user.token.length < 24) throw new RangeError(`options.users[${i}].token must be at least 24 characters`);
      const tokenHash = sha256(utf8(user.token));
      out.set(`bearer:${Buffer.from(tokenHash).toString('hex')}`, { ...user, tokenHash });
    }
  }
  return out;
}

function toPem(v: string | Uint8Array): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v);
}
