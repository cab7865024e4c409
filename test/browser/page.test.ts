/**
 * The browser example in a real headless Chromium (the system's, else the one inside the
 * `@sparticuz/chromium` dev dependency: test/browser/chromium.ts; driven by
 * playwright-core): the library's browser entry, bundled by esbuild, creates an identity, opens
 * a bundle sealed in Node, seals one that Node opens, and refuses a tampered envelope.
 * Chromium missing is a failure, not a skip: npm ships one.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findChromium } from './chromium.js';
import {
  BundleBuilder,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  fingerprintHex,
  KEYRING_KDF_MINIMUM,
  KeyRing,
  MemoryKeyRingStorage,
  openBundleWithKeyRing,
  sealBundle,
  TEXT_MEDIA_TYPE,
} from '../../src/index.js';
import { startExampleServer, type ExampleServer } from '../../examples/browser/server.js';
import type { ExampleResult, ReadBundle } from '../../examples/browser/main.js';

const REPORT = `Courier confirmed on GA-881, seat ${Math.floor(Math.random() * 40) + 1}C.`;

let server: ExampleServer;
let browser: Browser;
let page: Page;
let result: ExampleResult;
const pageErrors: string[] = [];

/** Why the browser could not be set up; every browser test then fails with it (never skips). */
let setupError: unknown = null;

beforeAll(async () => {
  try {
    await setUp();
  } catch (err) {
    setupError = err;
  }
});

async function setUp(): Promise<void> {
  const { executablePath, args } = await findChromium();
  [server, browser] = await Promise.all([startExampleServer({ report: REPORT }), chromium.launch({ executablePath, args, headless: true })]);
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  await page.goto(server.url);
  result = await page.evaluate(() => window.lintasExample.done);
}

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the browser example in headless Chromium', () => {
  beforeEach(() => {
    if (setupError) throw setupError;
  });

  it('opens the bundle Node sealed: same text, signed by the verified BIN card', async () => {
    const bin = server.ring.identity('BIN');
    expect(result.fromNode.title).toBe('Courier on GA-881');
    expect(result.fromNode.items).toEqual([{ name: 'report.txt', mediaType: TEXT_MEDIA_TYPE, text: REPORT }]);
    expect(result.fromNode.senderFingerprint).toBe(fingerprintHex(bin.card));
    expect(result.fromNode.senderVerification).toBe('verified');
    expect(server.sealed).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });

  it('seals a bundle that Node opens, signed by the key made in the page', async () => {
    expect(server.delivered).toHaveLength(1);
    // Opened here by the test with BIN's ring, independently of what the server told the page.
    const opened = await openBundleWithKeyRing(server.ring, server.delivered[0]!, { requireKnownSender: true });
    const [item, ...rest] = await opened.readAll();
    expect(rest).toEqual([]);
    expect(new TextDecoder().decode(item!.bytes)).toBe(result.sentText);
    expect(result.sentText).toMatch(/^PDRM confirms the courier on GA-881; reference [0-9a-f-]{36}\.$/);
    expect(fingerprintHex(opened.sender.fingerprint)).toBe(result.fingerprint);
    expect(server.ring.contact('PDRM desk').card.fingerprint).toEqual(opened.sender.fingerprint);
    // The page shows what Node read, which is the same.
    expect(result.readByNode.items.map((i) => i.text)).toEqual([result.sentText]);
    expect(result.readByNode.senderVerification).toBe('unverified');
  });

  it('refuses a tampered envelope in the browser with ERR_ENVELOPE_TAMPERED', async () => {
    expect(result.tamperedCode).toBe('ERR_ENVELOPE_TAMPERED');
    // And tampering done in Node: a byte of the last payload chunk, then a header byte.
    const envelope = server.sealed[0]!;
    const flip = (at: number) => Array.from(envelope, (b, i) => (i === at ? b ^ 0x80 : b));
    const openInPage = (bytes: number[]) => page.evaluate((e) => window.lintasExample.open(e), bytes);
    expect(await openInPage(flip(envelope.length - 40))).toEqual({ code: 'ERR_ENVELOPE_TAMPERED' });
    expect(await openInPage(flip(20))).toEqual({ code: 'ERR_ENVELOPE_HEADER_TAMPERED' });
    // The untouched envelope still opens in the same page: the refusals were about the bytes.
    const untouched = (await openInPage(Array.from(envelope))) as { bundle: ReadBundle };
    expect(untouched.bundle.items[0]!.text).toBe(REPORT);
  });

  it('refuses in the browser a bundle for someone else, and one from a sender its ring does not know', async () => {
    // A third agency that knows both cards: it can seal to the page, but the page never met it.
    const outsider = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'x', kdf: KEYRING_KDF_MINIMUM });
    await outsider.createIdentity({ name: 'ISD', organization: 'ISD', country: 'SG' });
    await outsider.importKeyCard(server.ring.contact('PDRM desk').card, { name: 'PDRM desk' });
    await outsider.importKeyCard(server.ring.identity('BIN').card, { name: 'BIN' });
    const sealTo = async (to: string) => {
      const bundle = new BundleBuilder({ title: 'From ISD', markings: { tlp: 'GREEN' } }).addText('note.txt', 'hello');
      const out = await sealBundle(bundle, { sender: bundleIdentityFromKeyRing(outsider, 'ISD'), recipients: bundleRecipientsFromKeyRing(outsider, [to]) });
      return Array.from(out.deliveries[0]!.envelope);
    };
    const [toPage, toBin] = await Promise.all([sealTo('PDRM desk'), sealTo('BIN')]);
    expect(await page.evaluate((e) => window.lintasExample.open(e), toPage)).toEqual({ code: 'ERR_UNKNOWN_SENDER' });
    expect(await page.evaluate((e) => window.lintasExample.open(e), toBin)).toEqual({ code: 'ERR_ENVELOPE_NOT_FOR_ME' });
  });

  it('shows every step on the page', async () => {
    await expect.poll(() => page.locator('#status').textContent()).toBe('Done: every step passed.');
    expect(await page.locator('#steps li.ok').count()).toBe(5);
    expect(await page.locator('#steps li.fail').count()).toBe(0);
  });
});

describe('npm run example:browser', () => {
  it('builds the page, serves it and prints the URL to open', async () => {
    // PORT=0: any free port; the printed URL must name the real one.
    const child = spawn('npm', ['run', '--silent', 'example:browser'], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: { ...process.env, PORT: '0' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        child.stdout.on('data', () => {
          const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
          if (m) resolveUrl(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`example:browser exited with ${code} before printing its URL:\n${output}`)));
      });
      const [html, script] = await Promise.all([fetch(url), fetch(new URL('main.js', url))]);
      expect([html.status, script.status]).toEqual([200, 200]);
      expect(await html.text()).toContain('<script type="module" src="./main.js">');
      expect(await script.text()).toContain('lintasExample');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
  });
});
