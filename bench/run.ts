/**
 * The lintas benchmark (issue 7): `npm run bench` (about 5 minutes) or `npm run bench -- --quick`
 * (under a minute, no 1 GiB runs and no 1,000-recipient runs for the other libraries).
 *
 * One command, one table per question, ratios against the limits (the raw ChaCha20-Poly1305 of
 * node:crypto and of libsodium) and against age-encryption and OpenPGP.js, all measured in the
 * same run on the same payloads. The 1 GiB runs happen in child processes so each peak RSS is
 * its own. Results and their reading: docs/PERFORMANCE.md.
 */
import { cpus, tmpdir, totalmem } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as age from 'age-encryption';
import * as openpgp from 'openpgp';
import { generateIdentityKeys, open, seal, type IdentityKeys, type RecipientKeyPair } from '../src/index.js';
import { bulkBackendName, forceBulkBackendForTests } from '../src/crypto/bulk-backend.js';
import { lintasContender, lintasParties, nativeChaCha, sodiumChaCha, type Contender, type LintasParties } from './contenders.js';
import { ageContender, makeBenchKeys, OPENPGP_CONFIG, openpgpContender, openpgpVersion } from './other-libraries.js';
import { bundleLargeChild, largeFileDir, runLarge, type LargeContender, type LargeResult } from './large-stream.js';
import { callsPerSecond, fmt, GiB, KiB, medianSeconds, MiB, mibPerSecond, percent, sizeLabel, table, times } from './measure.js';

const quick = process.argv.slice(2).includes('--quick');
/** Rounds of the interleaved throughput measurement. */
const rounds = quick ? 3 : 9;
const log = (s = '') => console.log(s);
const progress = (s: string) => process.stderr.write(`  ... ${s}\n`);

const keys = await makeBenchKeys();
const parties = await lintasParties(keys);
progress('generating 1,000 lintas identities');
const crowd = await identities(1000);
const workDir = mkdtempSync(join(tmpdir(), 'lintas-bench-'));
const keysPath = join(workDir, 'keys.json');
writeFileSync(keysPath, JSON.stringify(keys));

try {
  printMachine();
  const targets: { name: string; value: string; met: boolean | null }[] = [];
  await throughput(targets);
  await smallMessages(targets);
  await manyRecipients(targets);
  await recipientCounts();
  printTargets(targets);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

function printMachine(): void {
  const cpu = cpus();
  log(`# lintas benchmark${quick ? ' (--quick)' : ''}`);
  log();
  log(`- Command: \`npm run bench${quick ? ' -- --quick' : ''}\`, ${new Date().toISOString().slice(0, 10)}`);
  log(`- Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / GiB)} GiB RAM`);
  log(`- Node ${process.versions.node}, OpenSSL ${process.versions.openssl}; lintas bulk backend: ${bulkBackendName()}`);
  log(`- Throughput: median of ${rounds} rounds in which every contender runs in turn; other figures: median of at least 3 runs.`);
  log();
}

interface Rates {
  encrypt: number;
  decrypt: number;
}

/**
 * Throughput of each contender on `data`, measured in interleaved rounds (every contender once
 * per round, about 50 ms each), the median round counting. Other processes on the machine then
 * slow all contenders alike instead of whichever happened to run at the time, so the ratios hold.
 */
async function interleavedRates(contenders: Contender[], data: Uint8Array): Promise<Map<string, Rates>> {
  const plan = [];
  for (const c of contenders) {
    const ciphertext = await c.encrypt(data);
    if ((await c.decrypt(ciphertext)).length !== data.length) throw new Error(`${c.name} round trip lost bytes`);
    const start = performance.now();
    await c.encrypt(data);
    await c.decrypt(ciphertext);
    const reps = Math.max(1, Math.round(100 / (performance.now() - start)));
    plan.push({ c, ciphertext, reps, encrypt: [] as number[], decrypt: [] as number[] });
  }
  const sample = async (fn: () => Promise<unknown>, reps: number) => {
    const t = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    return (performance.now() - t) / 1000 / reps;
  };
  for (let round = 0; round < rounds; round++) {
    for (const p of plan) {
      p.encrypt.push(await sample(() => p.c.encrypt(data), p.reps));
      p.decrypt.push(await sample(() => p.c.decrypt(p.ciphertext), p.reps));
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return new Map(plan.map((p) => [p.c.name, { encrypt: mibPerSecond(data.length, median(p.encrypt)), decrypt: mibPerSecond(data.length, median(p.decrypt)) }]));
}

/** lintas with the bulk primitives forced onto libsodium and noble, as in a browser. */
function lintasPortable(p: LintasParties): Contender {
  const inner = lintasContender(p, p.recipient.x25519, 'lintas (portable path)');
  const forced =
    <T>(fn: (x: Uint8Array) => Promise<T>) =>
    async (x: Uint8Array) => {
      forceBulkBackendForTests('portable');
      try {
        return await fn(x);
      } finally {
        forceBulkBackendForTests(null);
      }
    };
  return { name: inner.name, encrypt: forced(inner.encrypt), decrypt: forced(inner.decrypt) };
}

async function throughput(targets: { name: string; value: string; met: boolean | null }[]): Promise<void> {
  const contenders = [
    nativeChaCha(),
    sodiumChaCha(),
    lintasContender(parties, parties.recipient.x25519),
    lintasPortable(parties),
    await ageContender(keys.age.x25519),
    await openpgpContender(keys),
  ];
  const sizes = [KiB, MiB, 64 * MiB];
  const results: { size: string; r: Map<string, Rates> }[] = [];
  for (const size of sizes) {
    progress(`${sizeLabel(size)}, all contenders in ${rounds} interleaved rounds`);
    results.push({ size: sizeLabel(size), r: await interleavedRates(contenders, new Uint8Array(randomBytes(size))) });
  }

  const large = new Map<LargeContender, { encrypt: LargeResult; decrypt: LargeResult }>();
  let idle: LargeResult | null = null;
  if (!quick) {
    const child = await bundleLargeChild(workDir);
    const fileDir = largeFileDir();
    try {
      idle = await runLarge(child, 'lintas', 'idle', 0, keysPath, '');
      // Two interleaved rounds; the faster run of each counts, and the higher peak RSS.
      const better = (a: LargeResult | undefined, b: LargeResult): LargeResult =>
        a ? { ...(a.seconds <= b.seconds ? a : b), peakRss: Math.max(a.peakRss, b.peakRss) } : b;
      for (let round = 1; round <= 2; round++) {
        for (const name of ['native', 'lintas', 'age', 'openpgp'] as const) {
          const file = join(fileDir, `${name}.1g`);
          progress(`${name}, 1 GiB streamed to a file and back (child processes), round ${round} of 2`);
          const encrypt = await runLarge(child, name, 'encrypt', GiB, keysPath, file);
          const decrypt = await runLarge(child, name, 'decrypt', GiB, keysPath, file);
          rmSync(file, { force: true });
          large.set(name, { encrypt: better(large.get(name)?.encrypt, encrypt), decrypt: better(large.get(name)?.decrypt, decrypt) });
        }
      }
    } finally {
      rmSync(fileDir, { recursive: true, force: true });
    }
    const r = new Map<string, Rates>();
    const names: Record<LargeContender, string> = {
      native: 'native ChaCha20-Poly1305',
      lintas: 'lintas',
      age: 'age',
      openpgp: 'OpenPGP.js',
    };
    for (const [name, l] of large) r.set(names[name], { encrypt: mibPerSecond(GiB, l.encrypt.seconds), decrypt: mibPerSecond(GiB, l.decrypt.seconds) });
    results.push({ size: '1 GiB streamed *', r });
  }

  for (const dir of ['encrypt', 'decrypt'] as const) {
    log(dir === 'encrypt' ? '## Seal + sign vs encrypt (+ sign), MiB/s, one X25519 recipient' : '## Open + verify vs decrypt (+ verify), MiB/s, one X25519 recipient');
    log();
    const rows = results.map(({ size, r }) => {
      const v = (name: string) => r.get(name)?.[dir];
      const rate = (x: number | undefined) => fmt(x, x !== undefined && x < 10 ? 1 : 0);
      const lintas = v('lintas');
      return [
        size,
        rate(v('native ChaCha20-Poly1305')),
        rate(v('libsodium ChaCha20-Poly1305')),
        rate(lintas),
        percent(lintas, v('native ChaCha20-Poly1305')),
        rate(v('lintas (portable path)')),
        rate(v('age')),
        times(lintas, v('age')),
        rate(v('OpenPGP.js')),
        times(lintas, v('OpenPGP.js')),
      ];
    });
    log(
      table(
        ['payload', 'native ChaCha', 'libsodium ChaCha', 'lintas', 'lintas/native', 'lintas portable', 'age', 'lintas/age', 'OpenPGP.js', 'lintas/OpenPGP'],
        rows,
      ),
    );
    log();
  }
  log('Raw ciphers: 64 KiB chunks with a counter nonce, nothing else (the limit). lintas portable: libsodium + noble, as in browsers.');
  log(`OpenPGP.js ${openpgpVersion()}: X25519/Ed25519 keys, binary format, RFC 9580 AEAD (SEIPDv2, AES-256-GCM; config ${JSON.stringify({ aeadProtect: OPENPGP_CONFIG.aeadProtect })}).`);
  if (!quick) {
    log('* 1 GiB: generated 1 MiB at a time, ciphertext streamed to a file in RAM (/dev/shm) and decrypted from it as a stream,');
    log('  each run in its own child process (bundled, plain node); the faster of two runs.');
  }
  log();

  const big = results.find((x) => x.size === '64 MiB')!.r;
  const largest = quick ? big : results.at(-1)!.r;
  const label = quick ? '64 MiB' : '1 GiB';
  for (const dir of ['encrypt', 'decrypt'] as const) {
    const what = dir === 'encrypt' ? 'seal+sign' : 'open+verify';
    const lintas = largest.get('lintas')![dir];
    const native = largest.get('native ChaCha20-Poly1305')![dir];
    targets.push({ name: `${label} ${what} >= 40% of native ChaCha20-Poly1305`, value: percent(lintas, native), met: lintas >= 0.4 * native });
    targets.push({ name: `${label} ${what} >= 10x age`, value: times(lintas, largest.get('age')![dir]), met: lintas >= 10 * largest.get('age')![dir] });
    targets.push({
      name: `${label} ${what} >= 20x OpenPGP.js`,
      value: times(lintas, largest.get('OpenPGP.js')![dir]),
      met: lintas >= 20 * largest.get('OpenPGP.js')![dir],
    });
  }

  if (idle) {
    log('## Peak RSS of the 1 GiB streams (each run in its own process)');
    log();
    const rows = [...large].map(([name, l]) => [name, fmt(l.encrypt.peakRss / MiB), fmt(l.decrypt.peakRss / MiB)]);
    rows.unshift(['(idle process: everything loaded, nothing run)', fmt(idle.peakRss / MiB), fmt(idle.peakRss / MiB)]);
    log(table(['contender', 'encrypt peak RSS (MiB)', 'decrypt peak RSS (MiB)'], rows));
    log();
    const l = large.get('lintas')!;
    const peak = Math.max(l.encrypt.peakRss, l.decrypt.peakRss);
    targets.push({ name: '1 GiB streamed with peak RSS < 128 MiB', value: `${fmt(peak / MiB)} MiB`, met: peak < 128 * MiB });
  } else {
    targets.push({ name: '1 GiB streamed with peak RSS < 128 MiB', value: 'not run (--quick)', met: null });
  }
}

async function smallMessages(targets: { name: string; value: string; met: boolean | null }[]): Promise<void> {
  const payload = new Uint8Array(randomBytes(KiB));
  const seconds = quick ? 1 : 3;
  const lintas = lintasContender(parties, parties.recipient.x25519);
  const others = [lintas, await ageContender(keys.age.x25519), await openpgpContender(keys)];
  const rows: string[][] = [];
  let lintasRate = 0;
  for (const c of others) {
    progress(`${c.name}, 1 KiB seal+open pairs`);
    const rate = await callsPerSecond(async () => c.decrypt(await c.encrypt(payload)), seconds);
    if (c === lintas) lintasRate = rate;
    rows.push([c.name, fmt(rate), c === lintas ? '1.0x' : times(lintasRate, rate)]);
  }
  log('## Small messages: 1 KiB seal+open pairs per second, one X25519 recipient, one thread');
  log();
  log(table(['contender', 'pairs/s', 'lintas is'], rows));
  log();
  targets.push({ name: '>= 3,000 small seal+open pairs/s', value: fmt(lintasRate), met: lintasRate >= 3000 });
}

async function identities(n: number): Promise<IdentityKeys[]> {
  const out: IdentityKeys[] = [];
  for (let i = 0; i < n; i++) out.push(await generateIdentityKeys());
  return out;
}

async function manyRecipients(targets: { name: string; value: string; met: boolean | null }[]): Promise<void> {
  const payload = new Uint8Array(randomBytes(KiB));
  const sender = parties.sender.signing;
  const rows: string[][] = [];
  let sealMs = 0;
  let openFirst = 0;
  let openLast = 0;
  for (const type of ['X25519', 'X-Wing'] as const) {
    for (const hidden of [false, true]) {
      progress(`lintas, 1,000 ${type} recipients${hidden ? ', hidden' : ''}`);
      const pick = (i: IdentityKeys) => (type === 'X25519' ? i.x25519 : i.xwing);
      const options = { recipients: crowd.map(pick), sender, hideRecipients: hidden };
      const seconds = await medianSeconds(() => seal(payload, options), { minSeconds: quick ? 0.5 : 2, minRuns: 5 });
      const envelope = await seal(payload, options);
      const openAs = (k: RecipientKeyPair) => medianSeconds(() => open(envelope, { keys: [k] }), { minSeconds: quick ? 0.3 : 1, minRuns: 5 });
      const first = await openAs(pick(crowd[0]!));
      const last = await openAs(pick(crowd[999]!));
      const mode = `${type}, ${hidden ? 'hidden recipients' : 'ids in stanzas'}`;
      rows.push([mode, fmt(seconds * 1000, 1), fmt(first * 1000, 1), fmt(last * 1000, 1), fmt(envelope.length / KiB)]);
      if (type === 'X25519' && !hidden) [sealMs, openFirst, openLast] = [seconds * 1000, first * 1000, last * 1000];
    }
  }
  log('## 1 KiB to 1,000 recipients (lintas)');
  log();
  log(table(['recipients', 'seal (ms)', 'open as #1 (ms)', 'open as #1,000 (ms)', 'envelope (KiB)'], rows));
  log();
  log('Hidden recipients: no ids in the stanzas, so a reader tries its key on each stanza of its type in turn.');
  log();
  targets.push({ name: '1,000 X25519 recipients sealed < 150 ms', value: `${fmt(sealMs, 1)} ms`, met: sealMs < 150 });
  targets.push({
    name: 'open as #1,000 about the same as #1 (within 25%)',
    value: `${fmt(openFirst, 2)} vs ${fmt(openLast, 2)} ms`,
    met: openLast <= 1.25 * openFirst,
  });
}

/** Seal (encrypt) 1 KiB to n recipients and open (decrypt) as the last one, per library and key type. */
async function recipientCounts(): Promise<void> {
  const counts = quick ? [1, 10, 100] : [1, 10, 100, 1000];
  const payload = new Uint8Array(randomBytes(KiB));
  const once = { minSeconds: quick ? 0.2 : 0.5, minRuns: 3 };
  const rows: string[][] = [];
  const pool = crowd;
  const ageIds = { x25519: [] as string[], hybrid: [] as string[] };
  const pgpKeys: openpgp.PrivateKey[] = [];
  for (const n of counts) {
    for (const type of ['X25519', 'X-Wing'] as const) {
      progress(`${n} ${type} recipients`);
      const pick = (i: IdentityKeys) => (type === 'X25519' ? i.x25519 : i.xwing);
      const options = { recipients: pool.slice(0, n).map(pick), sender: parties.sender.signing };
      const lintasSeal = await medianSeconds(() => seal(payload, options), once);
      const envelope = await seal(payload, options);
      const lintasOpen = await medianSeconds(() => open(envelope, { keys: [pick(pool[n - 1]!)] }), once);

      const ids = type === 'X25519' ? ageIds.x25519 : ageIds.hybrid;
      while (ids.length < n) ids.push(type === 'X25519' ? await age.generateX25519Identity() : await age.generateHybridIdentity());
      const encrypter = new age.Encrypter();
      for (const id of ids.slice(0, n)) encrypter.addRecipient(await age.identityToRecipient(id));
      const decrypter = new age.Decrypter();
      decrypter.addIdentity(ids[n - 1]!);
      const ageSeal = await medianSeconds(() => encrypter.encrypt(payload), once);
      const ageFile = await encrypter.encrypt(payload);
      const ageOpen = await medianSeconds(() => decrypter.decrypt(ageFile), once);

      let pgpSeal: number | null = null;
      let pgpOpen: number | null = null;
      if (type === 'X25519') {
        while (pgpKeys.length < n) {
          const { privateKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: `r${pgpKeys.length}` }], format: 'object', config: OPENPGP_CONFIG });
          pgpKeys.push(privateKey);
        }
        const encryptionKeys = pgpKeys.slice(0, n).map((k) => k.toPublic());
        const signer = await openpgp.readPrivateKey({ armoredKey: keys.openpgp.privateKey });
        const encrypt = async () =>
          openpgp.encrypt({ message: await openpgp.createMessage({ binary: payload }), encryptionKeys, signingKeys: signer, format: 'binary', config: OPENPGP_CONFIG });
        pgpSeal = await medianSeconds(encrypt, once);
        const message = await encrypt();
        pgpOpen = await medianSeconds(
          async () =>
            openpgp.decrypt({
              message: await openpgp.readMessage({ binaryMessage: message }),
              decryptionKeys: pgpKeys[n - 1]!,
              verificationKeys: signer.toPublic(),
              expectSigned: true,
              format: 'binary',
              config: OPENPGP_CONFIG,
            }),
          once,
        );
      }
      const ms = (s: number | null) => (s === null ? 'n/a' : fmt(s * 1000, 2));
      rows.push([`${n} ${type}`, ms(lintasSeal), ms(lintasOpen), ms(ageSeal), ms(ageOpen), ms(pgpSeal), ms(pgpOpen)]);
    }
  }
  log('## Recipients: 1 KiB sealed to n recipients, opened as the last one (ms)');
  log();
  log(table(['recipients', 'lintas seal', 'lintas open', 'age encrypt', 'age decrypt', 'OpenPGP.js encrypt', 'OpenPGP.js decrypt'], rows));
  log();
  log('age: X25519 recipients for X25519, its hybrid ML-KEM-768 + X25519 recipients (age1pq) for X-Wing. OpenPGP.js has no X-Wing counterpart (n/a).');
  if (quick) log('--quick: no 1,000 row here.');
  log();
}

function printTargets(targets: { name: string; value: string; met: boolean | null }[]): void {
  log('## Targets (issue 7)');
  log();
  log(table(['target', 'measured', 'met'], targets.map((t) => [t.name, t.value, t.met === null ? '-' : t.met ? 'yes' : 'NO'])));
  log();
}
