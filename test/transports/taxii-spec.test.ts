/**
 * TaxiiTransport against a server that answers the way the OASIS TAXII 2.1 specification
 * allows but lintas's own server does not: a status resource that is `pending` first,
 * pagination by `more` without `next` (the client continues with X-TAXII-Date-Added-Last),
 * media types with parameters and spaces, error message resources, and an API root that lists
 * other versions too. The request shapes the client sends are checked as well: Accept,
 * Content-Type, the TAXII envelope and query parameters.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { envelopeBytes, TaxiiTransport, taxiiCollectionId, discoverTaxii } from '../../src/index.js';
import { randomMailbox } from './conformance.js';

const MEDIA = 'application/taxii+json; version=2.1'; // with a space, as some servers send it

interface Stored {
  id: string;
  date_added: string;
  object: Record<string, unknown>;
}

/** A minimal, spec-shaped TAXII 2.1 server with the behaviours above. */
async function specServer(options: { pageSize: number; pendingPolls: number }) {
  const mailbox = randomMailbox();
  const collection = taxiiCollectionId(mailbox);
  const objects: Stored[] = [];
  const statuses = new Map<string, { polls: number; body: Record<string, unknown> }>();
  const requests: { method: string; url: string; accept?: string; contentType?: string; body?: unknown }[] = [];
  let clock = Date.UTC(2026, 11, 1, 8, 0, 0);
  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': MEDIA, ...headers });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      requests.push({ method: req.method!, url: req.url!, accept: req.headers.accept, contentType: req.headers['content-type'], body: raw ? JSON.parse(raw) : undefined });
      if (req.headers.authorization !== `Basic ${Buffer.from('analyst:correct horse').toString('base64')}`) {
        return reply(res, 401, { title: 'Unauthorized', description: 'Credentials are required', error_code: 'AUTH-1', http_status: '401', details: { realm: 'intel' } });
      }
      const base = `/api1/collections/${collection}/`;
      if (url.pathname === '/taxii2/') return reply(res, 200, { title: 'Partner TAXII', default: '/api1/', api_roots: ['/api1/', 'https://other.example/api2/'] });
      if (url.pathname === '/api1/') return reply(res, 200, { title: 'API root', versions: ['application/taxii+json;version=2.0', 'application/taxii+json;version=2.1'], max_content_length: 1_000_000 });
      if (url.pathname === `${base}objects/` && req.method === 'POST') {
        const env = JSON.parse(raw) as { objects: Record<string, unknown>[] };
        const id = `2d086da7-4bdc-4f91-900e-d77486753710`.replace(/0$/, String(statuses.size % 10));
        for (const o of env.objects) objects.push({ id: o.id as string, date_added: new Date((clock += 1000)).toISOString(), object: o });
        const body = { id, status: 'pending', request_timestamp: new Date(clock).toISOString(), total_count: env.objects.length, success_count: 0, failure_count: 0, pending_count: env.objects.length, pendings: env.objects.map((o) => ({ id: o.id })) };
        statuses.set(id, { polls: 0, body });
        return reply(res, 202, body);
      }
      const status = /^\/api1\/status\/([0-9a-f-]+)\/$/.exec(url.pathname);
      if (status) {
        const s = statuses.get(status[1]!)!;
        if (++s.polls >= options.pendingPolls) {
          s.body = { ...s.body, status: 'complete', success_count: s.body.total_count, pending_count: 0, successes: s.body.pendings, pendings: [] };
        }
        return reply(res, 200, s.body);
      }
      if (url.pathname === `${base}manifest/`) {
        const after = url.searchParams.get('added_after');
        const list = objects.filter((o) => after === null || Date.parse(o.date_added) > Date.parse(after));
        const page = list.slice(0, options.pageSize);
        if (page.length === 0) return reply(res, 200, {});
        // `more` without `next`: the client must continue with added_after = X-TAXII-Date-Added-Last.
        return reply(res, 200, { more: list.length > page.length, objects: page.map((o) => ({ id: o.id, date_added: o.date_added, version: o.date_added, media_type: 'application/stix+json;version=2.1' })) }, {
          'X-TAXII-Date-Added-First': page[0]!.date_added,
          'X-TAXII-Date-Added-Last': page[page.length - 1]!.date_added,
        });
      }
      const one = new RegExp(`^${base}objects/([^/]+)/$`).exec(url.pathname);
      if (one && req.method === 'GET') {
        const o = objects.find((x) => x.id === decodeURIComponent(one[1]!));
        return o ? reply(res, 200, { objects: [o.object] }) : reply(res, 404, { title: 'Not found', http_status: '404' });
      }
      reply(res, 404, { title: 'Not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { mailbox, requests, objects, statuses, origin, apiRoot: `${origin}/api1/`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('TaxiiTransport against a spec-shaped third-party TAXII 2.1 server', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  it('waits for a pending status to complete, and pages with more + X-TAXII-Date-Added-Last', async () => {
    const s = await specServer({ pageSize: 2, pendingPolls: 2 });
    closers.push(s.close);
    const t = new TaxiiTransport({ apiRoot: s.apiRoot, auth: { username: 'analyst', password: 'correct horse' }, pollIntervalMs: 20 });
    closers.push(() => t.close());
    const sent = [1, 2, 3, 4, 5].map((i) => new Uint8Array([i, i, i]));
    for (const e of sent) await t.send(s.mailbox, e);
    // Every send polled its status until complete (2 polls each).
    expect([...s.statuses.values()].every((x) => x.polls === 2 && x.body.status === 'complete')).toBe(true);

    const got: Uint8Array[] = [];
    for await (const d of t.receive(s.mailbox, { untilEmpty: true })) {
      got.push(await envelopeBytes(d.envelope));
      await d.ack();
    }
    expect(got).toEqual(sent);

    // The requests were TAXII 2.1 requests.
    const post = s.requests.find((r) => r.method === 'POST')!;
    expect(post.accept).toBe('application/taxii+json;version=2.1');
    expect(post.contentType).toBe('application/taxii+json;version=2.1');
    expect(post.body).toEqual({ objects: [expect.objectContaining({ type: 'artifact', spec_version: '2.1', mime_type: 'application/vnd.lintas.envelope' })] });
    const manifests = s.requests.filter((r) => r.url.includes('/manifest/')).map((r) => new URL(r.url, 'http://x').searchParams);
    expect(manifests[0]!.get('added_after')).toBeNull();
    expect(manifests[0]!.get('match[type]')).toBe('artifact');
    // The second page continued after the first page's X-TAXII-Date-Added-Last.
    expect(manifests[1]!.get('added_after')).toBe(s.objects[1]!.date_added);
  });

  it('reports a status that stays pending as unavailable after statusTimeoutMs, not as sent', async () => {
    const s = await specServer({ pageSize: 10, pendingPolls: 1_000_000 });
    closers.push(s.close);
    const t = new TaxiiTransport({ apiRoot: s.apiRoot, auth: { username: 'analyst', password: 'correct horse' }, statusTimeoutMs: 400 });
    closers.push(() => t.close());
    await expect(t.send(s.mailbox, new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_TRANSPORT_UNAVAILABLE' });
  });

  it('turns a TAXII error message resource into a typed error carrying its title, and reads discovery', async () => {
    const s = await specServer({ pageSize: 10, pendingPolls: 1 });
    closers.push(s.close);
    const t = new TaxiiTransport({ apiRoot: s.apiRoot, auth: { username: 'analyst', password: 'wrong' } });
    closers.push(() => t.close());
    const err = await t.send(s.mailbox, new Uint8Array([1])).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_TAXII_AUTH_FAILED' });
    expect((err as Error).message).toContain('Unauthorized');
    const d = await discoverTaxii(`${s.origin}/taxii2/`, { auth: { username: 'analyst', password: 'correct horse' } });
    expect(d).toEqual({ title: 'Partner TAXII', default: `${s.origin}/api1/`, api_roots: [`${s.origin}/api1/`, 'https://other.example/api2/'] });
  });

  it('refuses an answer that is not TAXII 2.1 as ERR_TAXII_PROTOCOL', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login page</html>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const t = new TaxiiTransport({ apiRoot: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api1/` });
    closers.push(() => t.close());
    await expect(t.send(randomMailbox(), new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_TAXII_PROTOCOL' });
  });
});
