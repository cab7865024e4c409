/**
 * Secrets never appear in errors or logs (issue 8, docs/THREAT-MODEL.md). Every failure we can
 * provoke with real secret keys, a passphrase and a recognisable plaintext in play is rendered
 * every way an application might log it (message, stack, String, the `cause` chain,
 * util.inspect with hidden properties at any depth, JSON.stringify), and everything written to
 * the console or to stdout/stderr meanwhile is captured; none of it may contain a secret key
 * (hex, base64, base64url, raw bytes, or the decimal list util.inspect prints for a Uint8Array),
 * the passphrase or the plaintext. The objects that hold secrets (KeyRing, AuditLog,
 * RelayTransport) must not print them either.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  armor,
  BundleBuilder,
  createReceipt,
  dearmor,
  generateIdentityKeys,
  KeyRing,
  KEYRING_KDF_MINIMUM,
  mailboxId,
  MemoryKeyRingStorage,
  MemoryReplayGuard,
  MemoryTransport,
  open,
  openBundle,
  openStream,
  receiveEnvelopes,
  RelayTransport,
  seal,
  sealBundle,
  sealStream,
  verifyReceipt,
  type IdentityKeys,
  type RejectedDelivery,
} from '../../src/index.js';
import { FileKeyRingStorage, openAuditLogFile, startRelay, verifyAuditLog } from '../../src/node.js';
import { forgeEnvelope, readMeta, sealWithSecrets, signEnvelope, splitEnvelope } from '../envelope/envelope-kit.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';

const PASSPHRASE = 'tangerine-Owl-7342-seahorse-Quill';
const WRONG_PASSPHRASE = 'tangerine-Owl-7342-seahorse-Quilt'; // a typo of the real one: just as secret
const PLAINTEXT = 'OPERATION KESTREL: asset MERPATI meets the courier at Dock 4 at 02:15';
const plaintextBytes = new TextEncoder().encode(PLAINTEXT);
const kdf = KEYRING_KDF_MINIMUM;

let alice: IdentityKeys;
let bob: IdentityKeys;
let dir: string;
/** Every secret byte string in play: secret keys (the signing key's seed half: its other half is the public key). */
const secretBytes: { name: string; bytes: Uint8Array }[] = [];

beforeAll(async () => {
  [alice, bob] = await Promise.all([generateIdentityKeys(), generateIdentityKeys()]);
  dir = await mkdtemp(join(tmpdir(), 'lintas-secrets-'));
  for (const [who, k] of [['alice', alice], ['bob', bob]] as const) {
    secretBytes.push({ name: `${who} signing seed`, bytes: k.signing.secretKey.subarray(0, 32) });
    secretBytes.push({ name: `${who} x25519`, bytes: k.x25519.secretKey });
    secretBytes.push({ name: `${who} x-wing`, bytes: k.xwing.secretKey });
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the console, stdout and stderr received while a test ran. */
let output: string[] = [];
beforeEach(() => {
  output = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void output.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: Infinity }))).join(' ')));
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('latin1'));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  expect(leaks('console/stdout/stderr', output.join('\n'))).toEqual([]);
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Every form in which `bytes` could show up in text. */
function forms(bytes: Uint8Array): { form: string; test: (haystack: string) => boolean }[] {
  const out: { form: string; test: (h: string) => boolean }[] = [];
  // Windows of 12 bytes at offsets 0 and 12: aligned for base64, and enough to identify a key.
  for (const at of [0, 12]) {
    const w = bytes.subarray(at, at + 12);
    const b64 = Buffer.from(w).toString('base64');
    const needles = [hex(w), Buffer.from(w).toString('base64url'), Buffer.from(w).toString('latin1')];
    out.push({ form: `hex/base64url/raw @${at}`, test: (h) => needles.some((n) => h.includes(n)) || h.toLowerCase().includes(hex(w)) });
    out.push({ form: `base64 @${at}`, test: (h) => h.includes(b64) });
    // util.inspect of a Uint8Array: "12, 200, 3, ..." (any spacing); JSON: [12,200,...] or {"0":12,"1":200,...}.
    const list = new RegExp(`(^|[^0-9])${Array.from(w.subarray(0, 8)).join(',\\s*')}([^0-9]|$)`);
    const json = Array.from(w.subarray(0, 8)).map((v, i) => `"${i + at}":${v}`).join(',');
    out.push({ form: `decimal list @${at}`, test: (h) => list.test(h) || h.includes(json) });
  }
  return out;
}

/** Names of the secrets found in `haystack`. */
function leaks(where: string, haystack: string): string[] {
  const found: string[] = [];
  for (const s of secretBytes) for (const f of forms(s.bytes)) if (f.test(haystack)) found.push(`${where}: ${s.name} as ${f.form}`);
  for (const [name, value] of [['passphrase', PASSPHRASE], ['wrong passphrase', WRONG_PASSPHRASE], ['plaintext', PLAINTEXT]] as const) {
    const pieces = [value, value.slice(0, 16), value.slice(-16), Buffer.from(value).toString('hex').slice(0, 24), Buffer.from(value).toString('base64').slice(0, 16)];
    if (pieces.some((p) => haystack.includes(p))) found.push(`${where}: ${name}`);
  }
  return found;
}

/** Every way an application might render `err` into a log line. */
function renderings(err: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = err; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const x = e as Error;
    out.push(String(x), String(x.message), String(x.stack));
    out.push(inspect(x, { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity }));
    out.push(inspect(x, { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity, showHidden: true }));
    out.push(JSON.stringify(x) ?? '');
    out.push(JSON.stringify(x, Object.getOwnPropertyNames(x)) ?? '');
  }
  return out;
}

/** Run `attempt`, require it to fail, and assert nothing secret is in any rendering of the error. */
async function failsCleanly(label: string, attempt: () => Promise<unknown> | unknown, code?: string): Promise<void> {
  let caught: unknown = undefined;
  try {
    await attempt();
  } catch (e) {
    caught = e;
  }
  expect(caught, `${label}: expected a failure`).toBeInstanceOf(Error);
  if (code !== undefined) expect((caught as { code?: string }).code, label).toBe(code);
  expect(renderings(caught).flatMap((r) => leaks(label, r))).toEqual([]);
}

describe('secrets in errors: the key ring', () => {
  it('wrong passphrase, tampered and truncated files, a wrong raw key, closed rings', async () => {
    const storage = new MemoryKeyRingStorage();
    const ring = await KeyRing.create(storage, { passphrase: PASSPHRASE, kdf });
    await ring.createIdentity({ name: 'BIN', organization: 'BIN', country: 'ID', keys: alice });
    await failsCleanly('wrong passphrase', () => KeyRing.open(storage, { passphrase: WRONG_PASSPHRASE, kdf }), 'ERR_KEYRING_WRONG_PASSPHRASE');
    const file = (await storage.load())!;
    const tampered = file.slice();
    tampered[tampered.length - 40]! ^= 1;
    await failsCleanly('tampered ring', () => KeyRing.open(new MemoryKeyRingStorage(tampered), { passphrase: PASSPHRASE, kdf }), 'ERR_KEYRING_TAMPERED');
    await failsCleanly('truncated ring', () => KeyRing.open(new MemoryKeyRingStorage(file.subarray(0, file.length - 100)), { passphrase: PASSPHRASE, kdf }));
    await failsCleanly('raw key instead of passphrase', () => KeyRing.open(storage, { rawKey: alice.x25519.secretKey }));
    await failsCleanly('create over an existing ring', () => KeyRing.create(storage, { passphrase: PASSPHRASE, kdf }), 'ERR_KEYRING_EXISTS');
    await failsCleanly('unknown recipient', () => ring.seal(plaintextBytes, { from: 'BIN', to: ['nobody'] }), 'ERR_KEYRING_UNKNOWN_RECIPIENT');
    await failsCleanly('unknown identity', () => ring.seal(plaintextBytes, { from: 'nobody', to: ['BIN'] }), 'ERR_KEYRING_UNKNOWN_IDENTITY');
    await failsCleanly('identity keys without an X-Wing pair', () => ring.createIdentity({ name: 'X', organization: 'X', country: 'ID', keys: { signing: bob.signing, x25519: bob.x25519 } as IdentityKeys }));
    await ring.close();
    await failsCleanly('closed ring', () => ring.identityKeys('BIN'), 'ERR_KEYRING_CLOSED');
    // On disk: a damaged file next to its backup.
    const path = join(dir, 'bin.keyring');
    const onDisk = await KeyRing.create(new FileKeyRingStorage(path), { passphrase: PASSPHRASE, kdf });
    await onDisk.createIdentity({ name: 'BIN', organization: 'BIN', country: 'ID', keys: alice });
    await onDisk.close();
    const bytes = await readFile(path);
    bytes[bytes.length - 10]! ^= 0xff;
    await writeFile(path, bytes);
    await failsCleanly('damaged file', () => KeyRing.open(new FileKeyRingStorage(path), { passphrase: PASSPHRASE, kdf }));
    await failsCleanly('wrong passphrase on disk', () => KeyRing.open(new FileKeyRingStorage(`${path}.bak`), { passphrase: WRONG_PASSPHRASE, kdf }));
  });
});

describe('secrets in errors: opening and sealing', () => {
  it('every open failure, whole and streamed, with the plaintext inside', async () => {
    const env = await seal(plaintextBytes, { recipients: [bob.x25519], sender: alice.signing, expiresAt: new Date(Date.now() + 60_000) });
    const flip = (i: number) => {
      const out = env.slice();
      out[i]! ^= 1;
      return out;
    };
    await failsCleanly('payload tampered', () => open(flip(env.length - 20), { keys: [bob.x25519] }), 'ERR_ENVELOPE_TAMPERED');
    await failsCleanly('header tampered', () => open(flip(splitEnvelope(env).payloadOffset - 1), { keys: [bob.x25519] }), 'ERR_ENVELOPE_HEADER_TAMPERED');
    await failsCleanly('not for me', () => open(env, { keys: [alice.x25519, alice.xwing] }), 'ERR_ENVELOPE_NOT_FOR_ME');
    await failsCleanly('unknown sender', () => open(env, { keys: [bob.x25519], trustedSenders: [bob.signing.publicKey] }), 'ERR_UNKNOWN_SENDER');
    await failsCleanly('expired', () => open(env, { keys: [bob.x25519], now: new Date(Date.now() + 3_600_000) }), 'ERR_ENVELOPE_EXPIRED');
    await failsCleanly('armor', () => dearmor(armor(env).replace('A', '*')), 'ERR_ARMOR_MALFORMED');
    // The signature fails at the end, after the plaintext was decrypted (insider re-encryption).
    const sealed = await sealWithSecrets(plaintextBytes, { recipients: [bob.x25519], sender: alice.signing });
    const p = splitEnvelope(sealed.envelope);
    const draft = { fileKey: sealed.fileKey, salt: sealed.salt, stanzas: p.header.stanzas, meta: readMeta(sealed.keys, p.header), chunkExponent: p.header.chunkExponent };
    const { prefixAndHeader } = forgeEnvelope({ ...draft, plaintext: plaintextBytes });
    const badSig = forgeEnvelope({ ...draft, plaintext: concatBytes(plaintextBytes, signEnvelope(bob.signing, prefixAndHeader, plaintextBytes)) }).envelope;
    await failsCleanly('signature invalid', () => open(badSig, { keys: [bob.x25519] }), 'ERR_SIGNATURE_INVALID');
    await failsCleanly('streamed signature invalid', async () => {
      const o = await openStream(badSig, { keys: [bob.x25519] });
      for await (const _ of o.payload) void _;
    }, 'ERR_SIGNATURE_INVALID');
    await failsCleanly('wrong input type', () => open(PLAINTEXT as unknown as Uint8Array, { keys: [bob.x25519] }));
  });

  it('every seal failure with the plaintext and the sender key as input', async () => {
    await failsCleanly('low-order recipient', () => seal(plaintextBytes, { recipients: [{ type: 'X25519', publicKey: new Uint8Array(32) }], sender: alice.signing }), 'ERR_SEAL_INVALID_RECIPIENT');
    await failsCleanly('short sender key', () => seal(plaintextBytes, { recipients: [bob.x25519], sender: { publicKey: alice.signing.publicKey, secretKey: alice.signing.secretKey.subarray(0, 63) } }));
    await failsCleanly('secret key as recipient', () => seal(plaintextBytes, { recipients: [{ type: 'X25519', publicKey: alice.x25519.secretKey.subarray(0, 31) }], sender: alice.signing }));
    await failsCleanly('size mismatch', async () => {
      for await (const _ of sealStream([plaintextBytes], { recipients: [bob.x25519], sender: alice.signing, size: plaintextBytes.length + 1 })) void _;
    }, 'ERR_SEAL_SIZE_MISMATCH');
    await failsCleanly('payload of the wrong type', () => seal(PLAINTEXT as unknown as Uint8Array, { recipients: [bob.x25519], sender: alice.signing }));
  });
});

describe('secrets in errors: bundles, transports, receipts and the audit log', () => {
  const party = (k: IdentityKeys, name: string, country: string) => ({ fingerprint: sha256(k.signing.publicKey), name, organization: name, country });

  it('policy refusals, tampered items and a malformed STIX item', async () => {
    const red = new BundleBuilder({ title: 'Kestrel', markings: { tlp: 'RED' } }).addText('order.txt', PLAINTEXT);
    const viaGroup = { encryptionKey: bob.xwing, attributes: { ...party(bob, 'PDRM', 'MY'), explicit: false, verification: 'verified' as const } };
    await failsCleanly('TLP:RED through a group', () => sealBundle(red, { sender: { signing: alice.signing, card: party(alice, 'BIN', 'ID') }, recipients: [viaGroup] }), 'ERR_POLICY_VIOLATION');
    await failsCleanly('STIX that is not JSON', () => new BundleBuilder({ title: 't', markings: { tlp: 'GREEN' } }).addStix('x.json', `{"type":"bundle", "note": "${PLAINTEXT}"`));
    const green = new BundleBuilder({ title: 'Kestrel', markings: { tlp: 'GREEN' } }).addText('order.txt', PLAINTEXT);
    const sealed = await sealBundle(green, { sender: { signing: alice.signing, card: party(alice, 'BIN', 'ID') }, recipients: [{ ...viaGroup, attributes: { ...viaGroup.attributes, explicit: true } }] });
    const payload = (await open(sealed.deliveries[0]!.envelope, { keys: [bob.xwing] })).payload.slice();
    payload[payload.length - 3]! ^= 1; // inside the item text
    const resealed = await seal(payload, { recipients: [bob.xwing], sender: alice.signing, contentType: 'application/vnd.lintas.bundle' });
    await failsCleanly('tampered item', async () => (await openBundle(resealed, { keys: [bob.xwing] })).readAll(), 'ERR_BUNDLE_ITEM_MISMATCH');
  });

  it('relay, receive loop and receipt failures', async () => {
    const relayDir = await mkdtemp(join(dir, 'relay-'));
    const relay = await startRelay({ dir: relayDir, allowSenders: [bob.signing.publicKey] });
    try {
      const env = await seal(plaintextBytes, { recipients: [bob.x25519], sender: alice.signing });
      const asAlice = new RelayTransport({ url: relay.url, senderKey: alice.signing, mailboxKeys: [alice.signing] });
      await failsCleanly('sender not allowed', () => asAlice.send(mailboxId(bob.signing.publicKey), env), 'ERR_RELAY_SENDER_NOT_ALLOWED');
      await failsCleanly('mailbox of another key', async () => {
        for await (const _ of asAlice.receive(mailboxId(bob.signing.publicKey), { untilEmpty: true })) void _;
      });
      await asAlice.close();
      const unreachable = new RelayTransport({ url: 'http://127.0.0.1:9', senderKey: alice.signing, mailboxKeys: [alice.signing] });
      await failsCleanly('relay unreachable', () => unreachable.send(mailboxId(bob.signing.publicKey), env), 'ERR_TRANSPORT_UNAVAILABLE');
      await unreachable.close();
      // The receive loop reports refused envelopes; the report holds the envelope, never the plaintext.
      const t = new MemoryTransport();
      const tampered = env.slice();
      tampered[tampered.length - 5]! ^= 1;
      await t.send(mailboxId(bob.signing.publicKey), tampered);
      const rejected: RejectedDelivery[] = [];
      await receiveEnvelopes(t, mailboxId(bob.signing.publicKey), { keys: [bob.x25519], replayGuard: new MemoryReplayGuard(), handler: () => {}, onRejected: (r) => void rejected.push(r), untilEmpty: true });
      expect(rejected.map((r) => r.error.code)).toEqual(['ERR_ENVELOPE_TAMPERED']);
      expect(renderings(rejected[0]!.error).flatMap((r) => leaks('rejected delivery', r))).toEqual([]);
      const opened = await open(env, { keys: [bob.x25519] });
      const receipt = await createReceipt(env, opened, bob.signing);
      await failsCleanly('receipt from another key', () => verifyReceipt(receipt, alice.signing.publicKey, { envelope: env }), 'ERR_RECEIPT_MISMATCH');
    } finally {
      await relay.close();
    }
  });

  it('audit log failures, verification reports and the log file itself', async () => {
    const path = join(dir, 'audit.log');
    const audit = await openAuditLogFile(path, alice.signing);
    const green = new BundleBuilder({ title: 'Kestrel', markings: { tlp: 'GREEN' } }).addText('order.txt', PLAINTEXT);
    const sealed = await sealBundle(green, {
      sender: { signing: alice.signing, card: party(alice, 'BIN', 'ID') },
      recipients: [{ encryptionKey: bob.xwing, attributes: { ...party(bob, 'PDRM', 'MY'), explicit: true, verification: 'verified' } }],
      audit,
    });
    expect(sealed.deliveries).toHaveLength(1);
    const log = await readFile(path);
    expect(leaks('audit log file', log.toString('latin1'))).toEqual([]);
    await failsCleanly('audit log opened with another key', () => openAuditLogFile(path, bob.signing), 'ERR_AUDIT_SIGNER_MISMATCH');
    const damaged = new Uint8Array(log);
    damaged[damaged.length - 30]! ^= 1;
    await writeFile(path, damaged);
    const report = await verifyAuditLog(path);
    expect(report.ok).toBe(false);
    expect(leaks('audit verification report', inspect(report, { depth: Infinity }))).toEqual([]);
    await failsCleanly('damaged audit log opened for appending', () => openAuditLogFile(path, alice.signing), 'ERR_AUDIT_BROKEN');
    await failsCleanly('audit signer of the wrong size', () => openAuditLogFile(path, { publicKey: alice.signing.publicKey, secretKey: alice.signing.secretKey.subarray(0, 32) }));
  });
});

describe('secrets in printed objects', () => {
  /** Every way an application might print an object. */
  const printed = (o: unknown) => [
    inspect(o),
    inspect(o, { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity }),
    inspect(o, { depth: Infinity, maxArrayLength: Infinity, showHidden: true }),
    JSON.stringify(o) ?? '',
    String(o),
  ];

  it('a key ring, its identities and contacts print no secret key and no passphrase', async () => {
    const ring = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: PASSPHRASE, kdf });
    const identity = await ring.createIdentity({ name: 'BIN', organization: 'BIN', country: 'ID', keys: alice });
    const other = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: PASSPHRASE, kdf });
    const pdrm = await other.createIdentity({ name: 'PDRM', organization: 'PDRM', country: 'MY', keys: bob });
    const contact = (await ring.importKeyCard(pdrm.card, { name: 'PDRM' })).contact;
    // The key that encrypts the stored ring, derived from the passphrase, is a secret too.
    const fileKey = (ring as unknown as { store: { fileKey: { encryptionKey: Uint8Array } } }).store.fileKey.encryptionKey;
    expect(fileKey).toHaveLength(32);
    secretBytes.push({ name: 'key ring file key', bytes: fileKey.slice() });
    for (const [name, o] of [['KeyRing', ring], ['Identity', identity], ['Contact', contact], ['KeyCard', identity.card]] as const) {
      expect(printed(o).flatMap((r) => leaks(name, r))).toEqual([]);
    }
    console.log(ring, identity);
  });

  it('an audit log and a relay client print no signing key', async () => {
    const audit = await openAuditLogFile(join(dir, 'printed-audit.log'), alice.signing);
    const client = new RelayTransport({ url: 'http://127.0.0.1:9', senderKey: alice.signing, mailboxKeys: [bob.signing] });
    for (const [name, o] of [['AuditLog', audit], ['RelayTransport', client]] as const) {
      expect(printed(o).flatMap((r) => leaks(name, r))).toEqual([]);
    }
    console.log(audit, client);
    await client.close();
  });
});
