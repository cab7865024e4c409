/**
 * The browser side of the browser example: a police desk (PDRM, Malaysia) working in a web page
 * exchanges bundles with an intelligence agency (BIN, Indonesia) whose lintas runs on Node
 * (`server.ts`, which also serves this page).
 *
 *   npm run example:browser     # then open the printed URL
 *
 * Only the main `lintas` entry is used (here `src/index.ts`, bundled by esbuild): it needs no
 * Node module, so the same code runs in the tab. The steps:
 *  1. create an identity in an in-memory key ring (a real app would persist the ring, e.g. in
 *     IndexedDB through its own KeyRingStorage; the memory ring disappears with the tab);
 *  2. import BIN's key card with the fingerprint compared out of band, so BIN is 'verified';
 *  3. send our key card to BIN, which seals a bundle to us on Node; open it here and check who
 *     signed it;
 *  4. seal a bundle to BIN here and deliver it; BIN opens it on Node and tells us what it read;
 *  5. flip one byte of what BIN sent and watch lintas refuse it.
 * The outcome is shown on the page and kept in `window.lintasExample` for the test
 * (test/browser/page.test.ts) to read.
 */
import {
  armorKeyCard,
  BundleBuilder,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  fingerprintHex,
  isLintasError,
  KEYRING_KDF_MINIMUM,
  KeyRing,
  MemoryKeyRingStorage,
  openBundleWithKeyRing,
  sealBundle,
} from '../../src/index.js';

/** What BIN's server answers on GET /api/agency: its key card and the fingerprint to compare. */
interface AgencyInfo {
  card: string;
  /** In real life read over the phone or printed on paper, not fetched next to the card. */
  fingerprint: string;
}

/** A bundle as this page or BIN's server read it. */
export interface ReadBundle {
  title: string;
  /** Key card fingerprint (hex) of who sealed it. */
  senderFingerprint: string;
  /** What the reader's key ring says about that sender ('verified', 'unverified', ...). */
  senderVerification: string;
  items: { name: string; mediaType: string; text: string }[];
}

/** Everything the page did, for people (shown) and for the test (`window.lintasExample.done`). */
export interface ExampleResult {
  /** This page's key card fingerprint (hex). */
  fingerprint: string;
  /** The bundle BIN sealed on Node, as opened here. */
  fromNode: ReadBundle;
  /** The text this page sealed to BIN. */
  sentText: string;
  /** The same bundle as BIN read it on Node (its server's answer). */
  readByNode: ReadBundle;
  /** The error code lintas gave for BIN's envelope with one byte flipped. */
  tamperedCode: string;
}

/** The page's API for the test: the finished run, and opening other envelopes BIN produced. */
export interface LintasExampleApi {
  done: Promise<ExampleResult>;
  /** Open envelope bytes with this page's key ring: what was read, or the lintas error code. */
  open(envelope: number[]): Promise<{ bundle: ReadBundle } | { code: string }>;
}

declare global {
  interface Window {
    lintasExample: LintasExampleApi;
  }
}

const steps = document.getElementById('steps')!;
const status = document.getElementById('status')!;

function step(text: string, ok = true): void {
  const li = document.createElement('li');
  li.className = ok ? 'ok' : 'fail';
  li.textContent = text;
  steps.append(li);
}

async function readBundle(ring: KeyRing, envelope: Uint8Array): Promise<ReadBundle> {
  // requireKnownSender: an envelope signed by anyone not in our ring is refused outright.
  const bundle = await openBundleWithKeyRing(ring, envelope, { requireKnownSender: true });
  const items = await bundle.readAll();
  const sender = ring.lookupSigningKey(bundle.sender.signingKey);
  return {
    title: bundle.manifest.title,
    senderFingerprint: fingerprintHex(bundle.sender.fingerprint),
    senderVerification: sender?.contact?.verification ?? 'unknown',
    items: items.map((i) => ({ name: i.name, mediaType: i.mediaType, text: new TextDecoder().decode(i.bytes) })),
  };
}

async function post(path: string, body: string | Blob): Promise<Response> {
  const response = await fetch(path, { method: 'POST', body });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

async function run(ring: KeyRing): Promise<ExampleResult> {
  // 1. Our identity. KEYRING_KDF_MINIMUM: the ring only lives in memory here, so the passphrase
  // KDF protects nothing at rest; a persisted ring keeps the (much slower) defaults.
  const me = await ring.createIdentity({ name: 'PDRM desk', organization: 'PDRM', country: 'MY' });
  step(`Created identity "PDRM desk" in this tab, fingerprint ${fingerprintHex(me.card).slice(0, 16)}…`);

  // 2. BIN's key card, checked against the fingerprint we were told out of band.
  const bin: AgencyInfo = await (await fetch('./api/agency')).json();
  const imported = await ring.importKeyCard(bin.card, { name: 'BIN', fingerprint: bin.fingerprint });
  step(`Imported BIN's key card: ${imported.contact.verification}`);

  // 3. BIN seals a bundle to our card on Node; we open it here.
  const sealedForUs = new Uint8Array(await (await post('./api/bundle', armorKeyCard(me.card))).arrayBuffer());
  const fromNode = await readBundle(ring, sealedForUs);
  step(`Opened "${fromNode.title}" sealed in Node (${sealedForUs.length} bytes), signed by a ${fromNode.senderVerification} sender: "${fromNode.items[0]?.text}"`);

  // 4. We seal a bundle to BIN here; BIN opens it on Node.
  const sentText = `PDRM confirms the courier on GA-881; reference ${crypto.randomUUID()}.`;
  const reply = new BundleBuilder({ title: 'Re: courier', markings: { tlp: 'GREEN' } }).addText('reply.txt', sentText);
  const sealed = await sealBundle(reply, {
    sender: bundleIdentityFromKeyRing(ring, 'PDRM desk'),
    recipients: bundleRecipientsFromKeyRing(ring, ['BIN']),
  });
  const readByNode: ReadBundle = await (await post('./api/deliver', new Blob([sealed.deliveries[0]!.envelope as Uint8Array<ArrayBuffer>]))).json();
  step(`Sealed "Re: courier" here; BIN opened it on Node and read: "${readByNode.items[0]?.text}"`);

  // 5. One flipped byte at the end (inside the last authenticated payload chunk).
  const tampered = sealedForUs.slice();
  tampered[tampered.length - 1]! ^= 0x01;
  const outcome = await openOrCode(ring, tampered);
  if (!('code' in outcome)) throw new Error('a tampered envelope was opened');
  step(`Flipped one byte of BIN's envelope: refused with ${outcome.code}`);

  return { fingerprint: fingerprintHex(me.card), fromNode, sentText, readByNode, tamperedCode: outcome.code };
}

async function openOrCode(ring: KeyRing, envelope: Uint8Array): Promise<{ bundle: ReadBundle } | { code: string }> {
  try {
    return { bundle: await readBundle(ring, envelope) };
  } catch (err) {
    if (isLintasError(err)) return { code: err.code };
    throw err;
  }
}

const ringReady = KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'memory only', kdf: KEYRING_KDF_MINIMUM });
const done = ringReady.then(run);
window.lintasExample = {
  done,
  open: async (envelope) => openOrCode(await ringReady, Uint8Array.from(envelope)),
};
done.then(
  () => (status.textContent = 'Done: every step passed.'),
  (err: unknown) => {
    status.textContent = 'Failed.';
    step(isLintasError(err) ? `${err.code}: ${err.message}` : String(err), false);
  },
);
