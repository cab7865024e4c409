/**
 * The Node side of the browser example: bundles `main.ts` with esbuild, serves the page, and
 * plays the intelligence agency BIN, whose lintas runs here on Node.
 *
 *   npm run example:browser     # prints the URL to open; Ctrl+C stops it
 *
 * Routes (all on 127.0.0.1): `/` and `/main.js` the page; `GET /api/agency` BIN's key card and
 * fingerprint; `POST /api/bundle` (body: the page's armored key card) a bundle BIN seals to that
 * card; `POST /api/deliver` (body: an envelope) what BIN read in it, as JSON. The test
 * (test/browser/page.test.ts) starts the same server with `startExampleServer`.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import {
  BundleBuilder,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  fingerprintHex,
  formatFingerprint,
  isLintasError,
  KEYRING_KDF_MINIMUM,
  KeyRing,
  MemoryKeyRingStorage,
  openBundleWithKeyRing,
  sealBundle,
  armorKeyCard,
} from '../../src/index.js';
import type { ReadBundle } from './main.js';

/** Options of {@link startExampleServer}. */
export interface ExampleServerOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The text of the report BIN seals to the page. */
  report?: string;
}

/** A running example server. */
export interface ExampleServer {
  url: string;
  /** BIN's key ring (identity "BIN"), e.g. to open what the page delivered. */
  ring: KeyRing;
  /** Every envelope BIN sealed to the page, in order. */
  sealed: Uint8Array[];
  /** Every envelope the page delivered, in order. */
  delivered: Uint8Array[];
  close(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const MAX_BODY_BYTES = 1 << 20;

/** Bundle the page's script (src/index.ts and its dependencies, for browsers) in memory. */
export async function buildPage(): Promise<string> {
  const result = await build({
    entryPoints: [`${here}main.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

/** Build the page and start serving it, with BIN's lintas behind the /api routes. */
export async function startExampleServer(options: ExampleServerOptions = {}): Promise<ExampleServer> {
  const report = options.report ?? 'Suspected courier for the network arrives KUL 2026-11-25 09:10 on GA-881.';
  const [script, html] = await Promise.all([buildPage(), readFile(`${here}index.html`, 'utf8')]);
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'memory only', kdf: KEYRING_KDF_MINIMUM });
  const bin = await ring.createIdentity({ name: 'BIN', organization: 'BIN', country: 'ID' });
  const sealed: Uint8Array[] = [];
  const delivered: Uint8Array[] = [];

  const routes: Record<string, (body: Buffer) => Promise<[string, string | Uint8Array]>> = {
    'GET /': async () => ['text/html; charset=utf-8', html],
    'GET /index.html': async () => ['text/html; charset=utf-8', html],
    'GET /main.js': async () => ['text/javascript; charset=utf-8', script],
    'GET /api/agency': async () => ['application/json', JSON.stringify({ card: armorKeyCard(bin.card), fingerprint: formatFingerprint(bin.card) })],
    'POST /api/bundle': async (body) => {
      // The page's card arrives unverified: BIN has not compared its fingerprint.
      const { contact } = await ring.importKeyCard(body.toString('utf8'), { name: 'PDRM desk' });
      const bundle = new BundleBuilder({ title: 'Courier on GA-881', markings: { tlp: 'GREEN' } }).addText('report.txt', report);
      const out = await sealBundle(bundle, { sender: bundleIdentityFromKeyRing(ring, 'BIN'), recipients: bundleRecipientsFromKeyRing(ring, [contact.name]) });
      const envelope = out.deliveries[0]!.envelope;
      sealed.push(envelope);
      return ['application/octet-stream', envelope];
    },
    'POST /api/deliver': async (body) => {
      const envelope = new Uint8Array(body);
      delivered.push(envelope);
      const opened = await openBundleWithKeyRing(ring, envelope, { requireKnownSender: true });
      const items = await opened.readAll();
      const read: ReadBundle = {
        title: opened.manifest.title,
        senderFingerprint: fingerprintHex(opened.sender.fingerprint),
        senderVerification: ring.lookupSigningKey(opened.sender.signingKey)?.contact?.verification ?? 'unknown',
        items: items.map((i) => ({ name: i.name, mediaType: i.mediaType, text: new TextDecoder().decode(i.bytes) })),
      };
      return ['application/json', JSON.stringify(read)];
    },
  };

  const server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = routes[`${req.method} ${new URL(req.url ?? '/', 'http://localhost').pathname}`];
    try {
      if (!route) return void res.writeHead(404).end('not found');
      const [type, body] = await route(await readBody(req));
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    } catch (err) {
      // Only the code goes back to the page: error messages can name keys and contacts.
      res.writeHead(isLintasError(err) ? 422 : 500).end(isLintasError(err) ? err.code : 'server error');
      if (!isLintasError(err)) console.error(err);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    ring,
    sealed,
    delivered,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RangeError('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startExampleServer({ port: Number(process.env.PORT ?? 8765) });
  console.log(`lintas browser example: open ${server.url} (BIN's side runs here; Ctrl+C to stop)`);
}
