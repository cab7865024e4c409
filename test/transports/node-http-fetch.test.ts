/**
 * nodeHttpFetch (lintas/node): the part of `fetch` the relay client uses, on node:http and
 * node:https. The relay conformance suite runs through it too (relay.test.ts); here, what it
 * promises beyond that: bodies of every kind both ways, no redirect followed, aborts, network
 * and TLS failures rejected as `fetch` rejects them, a private CA trusted only when given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { nodeHttpFetch } from '../../src/node.js';
import { hasOpenssl, issueCert, makeCa } from './test-ca.js';

/** Echoes what it got: method, headers and the SHA-256 and size of the body; other routes below. */
function handler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/refuse') {
    // Answers before reading the upload, as the relay does for a refused request, and hangs up.
    res.writeHead(401, { 'content-type': 'application/json', connection: 'close' }).end('{"error":"no"}', () => req.destroy());
    return;
  }
  const hash = createHash('sha256');
  let size = 0;
  req.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
  });
  req.on('end', () => {
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/elsewhere' }).end();
    } else if (req.url === '/empty') {
      res.writeHead(204).end();
    } else if (req.url?.startsWith('/big/')) {
      // A large answer in pieces, with no declared length: read as a stream.
      const total = Number(req.url.slice(5));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-part': 'a' });
      let left = total;
      const piece = Buffer.alloc(64 * 1024, 7);
      const more = (): void => {
        while (left > 0) {
          const n = Math.min(left, piece.length);
          left -= n;
          if (!res.write(piece.subarray(0, n))) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    } else if (req.url === '/hang') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started'); // and never ends
    } else {
      const body = JSON.stringify({ method: req.method, auth: req.headers.authorization ?? null, type: req.headers['content-type'] ?? null, size, sha256: hash.digest('hex') });
      res.writeHead(201, { 'content-type': 'application/json', 'retry-after': '7', 'content-length': Buffer.byteLength(body) }).end(body);
    }
  });
}

let server: Server;
let base: string;
beforeAll(async () => {
  server = createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('nodeHttpFetch', () => {
  it('sends no body, a string, bytes and a ReadableStream, with the headers given, and reads JSON, status and headers', async () => {
    const f = nodeHttpFetch();
    try {
      const bytes = new Uint8Array(randomBytes(100_000));
      const r0 = await f(`${base}/echo`, { method: 'DELETE', headers: { Authorization: 'Bearer t' } });
      expect(r0.status).toBe(201);
      expect(r0.ok).toBe(true);
      expect(r0.headers.get('retry-after')).toBe('7');
      expect(await r0.json()).toEqual({ method: 'DELETE', auth: 'Bearer t', type: null, size: 0, sha256: sha(new Uint8Array()) });
      const r1 = await f(new URL(`${base}/echo`), { method: 'post', headers: new Headers({ 'content-type': 'application/json' }), body: '{"a":1}' });
      expect(await r1.json()).toMatchObject({ method: 'POST', type: 'application/json', size: 7 });
      const r2 = await f(`${base}/echo`, { method: 'POST', headers: [['content-type', 'application/octet-stream']], body: bytes.subarray(10) });
      expect(await r2.json()).toMatchObject({ size: bytes.length - 10, sha256: sha(bytes.subarray(10)) });
      // A stream is sent as it is read, in pieces, chunked.
      let pulled = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          if (pulled >= bytes.length) return c.close();
          c.enqueue(bytes.subarray(pulled, (pulled += 16_384)));
        },
      });
      const r3 = await f(`${base}/echo`, { method: 'POST', body: stream, duplex: 'half', redirect: 'error' } as RequestInit);
      expect(await r3.json()).toMatchObject({ size: bytes.length, sha256: sha(bytes) });
    } finally {
      f.close();
    }
  });

  it('streams a large answer (no declared length) rather than reading it whole first', async () => {
    const f = nodeHttpFetch();
    try {
      const total = 48 * 1024 * 1024;
      const res = await f(`${base}/big/${total}`);
      expect(res.headers.get('x-part')).toBe('a');
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      let got = first.value!.length;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        got += value.length;
      }
      expect(got).toBe(total);
      // 204: no body at all, as fetch gives it.
      const empty = await f(`${base}/empty`, { method: 'DELETE' });
      expect(empty.status).toBe(204);
      expect(empty.body).toBeNull();
    } finally {
      f.close();
    }
  });

  it('cancels an upload stream the server refused before reading it all, as fetch cancels its body', async () => {
    const f = nodeHttpFetch();
    try {
      let cancelled = false;
      const piece = new Uint8Array(64 * 1024);
      const endless = new ReadableStream<Uint8Array>({
        pull: (c) => c.enqueue(piece),
        cancel: () => void (cancelled = true),
      });
      // Refused early: the answer, or the reset that cut the upload short (either is what fetch gives).
      await f(`${base}/refuse`, { method: 'POST', body: endless, duplex: 'half' } as RequestInit).then(
        (r) => r.text(),
        () => null,
      );
      for (let i = 0; i < 50 && !cancelled; i++) await new Promise((r) => setTimeout(r, 20));
      expect(cancelled).toBe(true);
    } finally {
      f.close();
    }
  });

  it('never follows a redirect: with redirect "error" it rejects as fetch does, otherwise the 3xx is the answer', async () => {
    const f = nodeHttpFetch();
    try {
      await expect(f(`${base}/redirect`, { redirect: 'error' })).rejects.toThrow(TypeError);
      const res = await f(`${base}/redirect`);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/elsewhere');
    } finally {
      f.close();
    }
  });

  it('aborts: before the request, while waiting for the answer, and while reading the body, with the signal’s reason', async () => {
    const f = nodeHttpFetch();
    try {
      const before = new AbortController();
      before.abort(new Error('not now'));
      await expect(f(`${base}/echo`, { signal: before.signal })).rejects.toThrow('not now');
      const reading = new AbortController();
      const res = await f(`${base}/hang`, { signal: reading.signal });
      const reader = res.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('started');
      const pending = reader.read();
      reading.abort(new Error('stop reading'));
      await expect(pending).rejects.toThrow();
      // Waiting for an answer that never comes: a server that accepts and says nothing.
      const silent = createHttpServer(() => {});
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const waiting = new AbortController();
      const p = f(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, { signal: waiting.signal });
      setTimeout(() => waiting.abort(new Error('gave up')), 50);
      await expect(p).rejects.toThrow('gave up');
      silent.closeAllConnections();
      silent.close();
    } finally {
      f.close();
    }
  });

  it('rejects network failures with TypeError("fetch failed") and its cause, and what it cannot send with TypeError', async () => {
    const f = nodeHttpFetch();
    try {
      const closed = createHttpServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const err = (await f(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)) as TypeError & { cause?: { code?: string } };
      expect(err).toBeInstanceOf(TypeError);
      expect(err.cause?.code).toBe('ECONNREFUSED');
      await expect(f('ftp://127.0.0.1/x')).rejects.toThrow(TypeError);
      await expect(f(new Request(`${base}/echo`))).rejects.toThrow(TypeError);
      await expect(f(`${base}/echo`, { method: 'POST', body: new URLSearchParams('a=1') })).rejects.toThrow(TypeError);
    } finally {
      f.close();
    }
  });

  it('does not reuse a kept connection the server closed for idleness (requests sent around its keep-alive timeout)', async () => {
    // A reused socket the server has just closed would fail the request with ECONNRESET; the
    // agent drops a connection before the server's Keep-Alive timeout hint runs out.
    const idle = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    idle.keepAliveTimeout = 400;
    await new Promise<void>((r) => idle.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(idle.address() as AddressInfo).port}/`;
    const f = nodeHttpFetch();
    const failed: number[] = [];
    try {
      for (let delay = 360; delay <= 440; delay += 8) {
        await (await f(url, { method: 'POST', body: 'a' })).text();
        await new Promise((r) => setTimeout(r, delay));
        await f(url, { method: 'POST', body: 'b' }).then((r) => r.text(), () => failed.push(delay));
      }
    } finally {
      f.close();
      idle.closeAllConnections();
      idle.close();
    }
    expect(failed).toEqual([]);
  });

  it('validates its options', () => {
    expect(() => nodeHttpFetch(null as never)).toThrow(TypeError);
    expect(() => nodeHttpFetch({ ca: 5 as never })).toThrow(TypeError);
    expect(() => nodeHttpFetch({ cert: 'x' })).toThrow(TypeError); // without key
    expect(() => nodeHttpFetch({ maxSockets: 1.5 })).toThrow(TypeError);
    expect(() => nodeHttpFetch({ maxSockets: 0 })).toThrow(RangeError);
  });

  describe.skipIf(!hasOpenssl())('over TLS', () => {
    let dir: string;
    let tlsServer: Server;
    let url: string;
    let caPem: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lintas-node-fetch-'));
      const ca = makeCa(dir, 'relay');
      const cert = await issueCert(ca, 'server');
      caPem = await readFile(ca.cert, 'utf8');
      tlsServer = createHttpsServer({ cert: await readFile(cert.cert), key: await readFile(cert.key) }, handler);
      await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
      url = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}/echo`;
    });
    afterAll(async () => {
      tlsServer.closeAllConnections();
      tlsServer.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('trusts a private CA only when given it, and refuses the server otherwise', async () => {
      const untrusting = nodeHttpFetch();
      const trusting = nodeHttpFetch({ ca: caPem });
      try {
        const err = (await untrusting(url).catch((e: unknown) => e)) as TypeError & { cause?: { code?: string } };
        expect(err).toBeInstanceOf(TypeError);
        expect(err.cause?.code).toMatch(/CERT|SELF_SIGNED|UNABLE_TO/);
        const res = await trusting(url, { method: 'POST', body: 'over tls' });
        expect(await res.json()).toMatchObject({ method: 'POST', size: 8 });
      } finally {
        untrusting.close();
        trusting.close();
      }
    });
  });
});
