/**
 * A `fetch` for {@link RelayTransport} on Node, made of `node:http` / `node:https` and one
 * keep-alive agent (lintas/node only). The relay client is written against `fetch` so that it
 * runs in browsers; on Node the global `fetch` (undici) spends about half a millisecond of CPU
 * more per small request than a whole `node:http` round trip (`bench/http-client.ts`), and a
 * receive loop makes about 1.1 requests per envelope (docs/TRANSPORTS.md 3.3, "The quiet run").
 *
 * It is the part of `fetch` the relay client uses, not all of it:
 * - URLs are `http:` or `https:` strings or `URL`s; bodies are a string, bytes or a
 *   `ReadableStream` of bytes (sent chunked, read as it is sent: nothing is buffered or teed);
 * - it never follows a redirect (the relay protocol has none, and a signed request names its
 *   path): with `redirect: 'error'` a 3xx rejects as `fetch` does, otherwise it is the answer;
 * - `signal` aborts the request and the answer's body, rejecting with the signal's reason;
 * - a network failure rejects with `TypeError('fetch failed')` and the cause, as `fetch` does;
 * - 300 s without a byte either way fails the request (undici's default header and body timeouts).
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline, Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/** Options of {@link nodeHttpFetch}. */
export interface NodeHttpFetchOptions {
  /**
   * PEM certificates trusted for `https:` relays instead of Node's bundled CAs (a relay whose
   * certificate a private CA signed). Default: Node's CAs and `NODE_EXTRA_CA_CERTS`.
   */
  ca?: string | Uint8Array | (string | Uint8Array)[];
  /** A PEM client certificate, for a relay (or TLS proxy) that asks for one; with `key`. */
  cert?: string | Uint8Array;
  /** The PEM private key of `cert`. */
  key?: string | Uint8Array;
  /** Connections kept per relay host. Default 8. */
  maxSockets?: number;
}

/**
 * A `fetch` as {@link nodeHttpFetch} makes it (typed as `fetch`, so it fits any `fetch` option;
 * it rejects a `Request` object with a TypeError), with `close()` to let its idle connections go.
 */
export type NodeHttpFetch = typeof fetch & {
  /** Close the kept connections (idle ones never keep the process alive). Later requests open new ones. */
  close(): void;
};

/** Idle time, either way, after which a request fails: undici's default header and body timeouts. */
const IDLE_TIMEOUT_MS = 300_000;
/** Answers up to this size, with a declared length, are read whole before the Response is made. */
const BUFFERED_ANSWER_BYTES = 64 * 1024;
/** Statuses whose Response has no body (the Response constructor refuses one). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * Make a `fetch` for `RelayTransport`'s `fetch` option that uses `node:http` / `node:https` with
 * a keep-alive agent: the same requests for much less CPU than Node's global `fetch`
 * (docs/TRANSPORTS.md 3.3). The CLI uses it for `--via https://...`.
 *
 * @example
 * ```ts
 * import { mkdtemp, rm } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { generateIdentityKeys, mailboxId, RelayTransport } from 'lintas';
 * import { nodeHttpFetch, startRelay } from 'lintas/node';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'relay-'));
 * const relay = await startRelay({ dir }); // usually run elsewhere: `lintas relay start`
 * const me = await generateIdentityKeys();
 * const fetch = nodeHttpFetch(); // or nodeHttpFetch({ ca: pemOfYourPrivateCa })
 * const transport = new RelayTransport({ url: relay.url, mailboxKeys: [me.signing], fetch });
 * console.log((await transport.list(mailboxId(me.signing.publicKey))).length); // 0
 * await transport.close();
 * fetch.close();
 * await relay.close();
 * await rm(dir, { recursive: true, force: true });
 * ```
 * @throws {TypeError} for options of the wrong type; {RangeError} for `maxSockets` below 1.
 */
export function nodeHttpFetch(options: NodeHttpFetchOptions = {}): NodeHttpFetch {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const pem = (v: unknown): boolean => typeof v === 'string' || v instanceof Uint8Array;
  if (options.ca !== undefined && !(pem(options.ca) || (Array.isArray(options.ca) && options.ca.every(pem)))) throw new TypeError('options.ca must be PEM text or bytes, or a list of them');
  if (options.cert !== undefined && !pem(options.cert)) throw new TypeError('options.cert must be PEM text or bytes');
  if (options.key !== undefined && !pem(options.key)) throw new TypeError('options.key must be PEM text or bytes');
  if ((options.cert === undefined) !== (options.key === undefined)) throw new TypeError('options.cert and options.key go together');
  const maxSockets = options.maxSockets ?? 8;
  if (!Number.isSafeInteger(maxSockets)) throw new TypeError('options.maxSockets must be an integer');
  if (maxSockets < 1) throw new RangeError('options.maxSockets must be at least 1');
  const tls = {
    ...(options.ca !== undefined ? { ca: ([] as (string | Uint8Array)[]).concat(options.ca).map(pemText) } : {}),
    ...(options.cert !== undefined ? { cert: pemText(options.cert), key: pemText(options.key!) } : {}),
  };
  const http = new HttpAgent({ keepAlive: true, maxSockets });
  const https = new HttpsAgent({ keepAlive: true, maxSockets, ...tls });
  const fetch = (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => send(input, init, http, https);
  return Object.assign(fetch as typeof globalThis.fetch, {
    close: () => {
      http.destroy();
      https.destroy();
    },
  });
}

function pemText(v: string | Uint8Array): string {
  return typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
}

function send(input: RequestInfo | URL, init: RequestInit, http: HttpAgent, https: HttpsAgent): Promise<Response> {
  if (typeof input !== 'string' && !(input instanceof URL)) return Promise.reject(new TypeError('nodeHttpFetch takes a URL string or URL, not a Request'));
  const url = new URL(input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new TypeError(`nodeHttpFetch: ${url.protocol} URLs are not supported`));
  const body = init.body ?? null;
  if (body !== null && typeof body !== 'string' && !(body instanceof Uint8Array) && !(body instanceof ArrayBuffer) && !(body instanceof ReadableStream)) {
    return Promise.reject(new TypeError('nodeHttpFetch sends a string, bytes or a ReadableStream body'));
  }
  const signal = init.signal ?? null;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = headerRecord(init.headers);
  const manualRedirectError = init.redirect === 'error';

  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    };
    const onAbort = (): void => {
      req.destroy();
      fail(signal!.reason);
    };
    const req: ClientRequest = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, agent: url.protocol === 'https:' ? https : http }, (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      const status = res.statusCode ?? 0;
      if (manualRedirectError && status >= 300 && status < 400) {
        res.resume();
        fail(new TypeError('fetch failed', { cause: new Error(`redirect (${status}) with redirect: 'error'`) }));
        return;
      }
      answer(res, signal, method).then(
        (r) => {
          if (settled) return;
          settled = true;
          // From here the signal ends the body, not the request (answer() listens for that).
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        (e: unknown) => fail(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: e })),
      );
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`)));
    req.on('error', (e) => fail(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: e })));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (body === null) req.end();
    else if (typeof body === 'string') req.end(body);
    else if (body instanceof ReadableStream) {
      // Chunked, as fetch sends a stream. pipeline, not pipe: an error of the source ends the
      // request, and a request that fails or is answered early (a refusal before the whole
      // upload) cancels the source, as fetch cancels its body, instead of leaving it half read.
      pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), req, () => {});
    } else req.end(body instanceof ArrayBuffer ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}

/** The Response for an answer: small ones read whole (cheaper), the rest streamed as they come. */
async function answer(res: IncomingMessage, signal: AbortSignal | null, method: string): Promise<Response> {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const init = { status, statusText: res.statusMessage ?? '', headers };
  if (NULL_BODY_STATUS.has(status) || method === 'HEAD') {
    res.resume();
    return new Response(null, init);
  }
  const length = Number(res.headers['content-length']);
  if (Number.isSafeInteger(length) && length <= BUFFERED_ANSWER_BYTES) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    return new Response(new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength) as Uint8Array<ArrayBuffer>, init);
  }
  if (signal) {
    const onAbort = (): void => void res.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    res.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  return new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, init);
}

/** Headers as the plain record node:http takes (names lower-cased, values joined as fetch joins them). */
function headerRecord(h: HeadersInit | undefined): Record<string, string> {
  if (h === undefined) return {};
  if (h instanceof Headers || Array.isArray(h)) {
    const out: Record<string, string> = {};
    new Headers(h).forEach((v, k) => (out[k] = v));
    return out;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = String(v);
  return out;
}
