/**
 * `lintas send` through a relay that forgets the sender's session as the upload begins (issue 13:
 * the client used to send what was left of the stream as the envelope). A proxy in front of a
 * real relay answers the first envelope upload as the relay answers an expired session (401,
 * `ERR_RELAY_AUTH_FAILED`) after reading part of the body; everything else passes through. `send`
 * must read the file again from its start under a new session, so the relay holds exactly the
 * envelope, and the receiver gets the same bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildCli, expectOk, twoAgencies, workFolder, type Cli } from './cli-kit.js';
import { startRelay, type RelayServer } from '../../src/node.js';

let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polri: Cli;
let relay: RelayServer;
let proxy: Server;
let proxyUrl: string;
const uploads: { status: number; bytesRead: number }[] = [];
const w = (name: string): string => join(work.dir, name);

/** Forward to the relay; the first envelope upload gets a 401 once 256 KiB of its body arrived. */
function startProxy(target: () => URL): Promise<void> {
  let expired = false;
  proxy = createServer((req, res) => {
    if (!expired && req.method === 'POST' && /\/envelopes$/.test(req.url ?? '')) {
      expired = true;
      let bytesRead = 0;
      const answer = (): void => {
        req.off('data', onData);
        uploads.push({ status: 401, bytesRead });
        res.writeHead(401, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ error: 'ERR_RELAY_AUTH_FAILED', message: 'The sender session is unknown, expired or the request signature is wrong' }));
      };
      // The upload has begun once 256 KiB arrived; the rest is read and dropped before the 401,
      // so the client always reads the answer (answering mid-upload races the client's write
      // against the closing socket on a loaded machine, and shows up as "could not reach").
      const onData = (d: Buffer): void => {
        bytesRead += d.length;
      };
      req.on('data', onData);
      req.on('end', answer);
      return;
    }
    const upstream = request({ host: target().hostname, port: target().port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      if (req.method === 'POST' && /\/envelopes$/.test(req.url ?? '')) uploads.push({ status: up.statusCode ?? 0, bytesRead: Number(req.headers['content-length'] ?? -1) });
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
}

beforeAll(async () => {
  const script = await buildCli();
  work = await workFolder('relay-expiry');
  ({ bin, polri } = await twoAgencies(script, work.dir));
  await mkdir(w('relay'));
  // The relay's origin is the proxy's: clients sign the origin they reach it by.
  await startProxy(() => new URL(relay.url));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  relay = await startRelay({ dir: w('relay'), origin: proxyUrl });
});
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await relay.close();
  await work.remove();
});

describe('send through a relay whose session expires as the upload begins', () => {
  it('reads the envelope file again from its start: the relay stores it whole, and it opens', async () => {
    const payload = randomBytes(2 * 1024 * 1024);
    await writeFile(w('capture.bin'), payload);
    await expectOk(bin.run(['seal', w('capture.bin'), '--to', 'polri', '--tlp', 'GREEN', '-o', w('capture.lintas')]));

    const sent = await bin.json(['send', w('capture.lintas'), '--to', 'polri', '--via', proxyUrl]);
    expect(sent.run.code, sent.run.stderr).toBe(0);
    // The refused upload had begun (the client streamed into it); the second one was whole.
    expect(uploads.map((u) => u.status)).toEqual([401, 201]);
    expect(uploads[0]!.bytesRead).toBeGreaterThanOrEqual(256 * 1024);

    const received = await polri.json(['receive', '--via', proxyUrl, '-o', w('inbox')]);
    expect(received.run.code).toBe(0);
    expect(received.value.processed).toBe(1);
    const savedTo = (received.value.received as { savedTo: string }[])[0]!.savedTo;
    expect(Buffer.compare(await readFile(join(savedTo, 'capture.bin')), payload)).toBe(0);
  });
});
