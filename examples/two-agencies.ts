/**
 * The main demo: BIN (Indonesia's state intelligence agency) shares intelligence with POLRI (the
 * national police), first through a drop folder, then over the HTTP relay in real time.
 *
 *   npm install && npm run demo
 *
 * 1. Each agency creates an encrypted key ring holding its identity. They swap key cards and
 *    compare fingerprints over the phone before trusting them.
 * 2. BIN builds a bundle (a report and a STIX 2.1 bundle, marked TLP:AMBER, REL TO ID), seals it
 *    through its key ring (the handling policy checks every recipient against the markings) and
 *    drops it into POLRI's mailbox folder.
 * 3. POLRI receives it: opened with its key ring, from a verified sender, every item checked
 *    against the manifest BIN signed, and each envelope processed once (a copy is refused).
 * 4. The markings travel with the bundle: POLRI's library refuses to pass it to a foreign agency.
 * 5. The same over the HTTP relay (started here on 127.0.0.1), delivered as soon as it is sent.
 * 6. Each agency keeps a signed, hash-chained audit log of what it did (never the contents).
 *
 * Everything is created in a temporary folder, which is deleted at the end; to keep it and look
 * at the key rings, audit logs and drop folder, run `npm run demo -- --keep`.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  armorKeyCard,
  BundleBuilder,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  formatFingerprint,
  formatMarkings,
  forwardBundleWithKeyRing,
  inspect,
  KeyRing,
  mailboxId,
  MemoryKeyRingStorage,
  openBundleWithKeyRing,
  parseStixBundle,
  PolicyViolationError,
  receiveEnvelopes,
  RelayTransport,
  sealBundle,
  withTlpMarking,
  type AuditLog,
  type OpenedBundle,
  type Transport,
} from '../src/index.js';
import { DropFolderTransport, FileKeyRingStorage, FileReplayGuard, openAuditLogFile, startRelay, verifyAuditLog } from '../src/node.js';

const keep = process.argv.includes('--keep');
const dir = await mkdtemp(join(tmpdir(), 'lintas-demo-'));
const say = (who: string, text: string): void => console.log(`${who.padEnd(5)} ${text}`);
const utf8 = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

try {
  // ---- 1. Key rings and key cards -------------------------------------------------------
  console.log('== 1. Key rings: each agency creates its identity; they swap key cards and compare fingerprints');
  // In real use each passphrase comes from a prompt or a secrets store, never from the code.
  const bin = await KeyRing.create(new FileKeyRingStorage(join(dir, 'bin', 'keyring.lintas')), { passphrase: 'demo passphrase of BIN' });
  const polri = await KeyRing.create(new FileKeyRingStorage(join(dir, 'polri', 'keyring.lintas')), { passphrase: 'demo passphrase of POLRI' });
  const binCard = (await bin.createIdentity({ name: 'BIN', organization: 'Badan Intelijen Negara', country: 'ID' })).card;
  const polriCard = (await polri.createIdentity({ name: 'POLRI', organization: 'Kepolisian Negara Republik Indonesia', country: 'ID' })).card;
  say('BIN', `card fingerprint   ${formatFingerprint(binCard)}`);
  say('POLRI', `card fingerprint   ${formatFingerprint(polriCard)}`);

  // The cards travel as armored text (e-mail, USB stick). The fingerprint each side reads out
  // over the phone is what makes the contact "verified"; a mismatch would be refused.
  const binCardText = armorKeyCard(binCard);
  const polriCardText = armorKeyCard(polriCard);
  const readOverThePhone = { bin: formatFingerprint(binCard), polri: formatFingerprint(polriCard) };
  const atPolri = await polri.importKeyCard(binCardText, { name: 'BIN', fingerprint: readOverThePhone.bin });
  const atBin = await bin.importKeyCard(polriCardText, { name: 'POLRI', fingerprint: readOverThePhone.polri });
  say('POLRI', `imported BIN's card, fingerprint compared: ${atPolri.contact.verification}`);
  say('BIN', `imported POLRI's card, fingerprint compared: ${atBin.contact.verification}`);

  // A foreign partner POLRI also works with (its own key ring lives in Kuala Lumpur).
  const pdrm = await KeyRing.create(new MemoryKeyRingStorage(), { rawKey: crypto.getRandomValues(new Uint8Array(32)) });
  const pdrmCard = (await pdrm.createIdentity({ name: 'PDRM', organization: 'Polis Diraja Malaysia', country: 'MY' })).card;
  await polri.importKeyCard(pdrmCard, { name: 'PDRM', fingerprint: formatFingerprint(pdrmCard) });

  // Audit logs, signed with each agency's identity key.
  const binAudit = await openAuditLogFile(join(dir, 'bin', 'audit.log'), bin.identityKeys('BIN').signing);
  const polriAudit = await openAuditLogFile(join(dir, 'polri', 'audit.log'), polri.identityKeys('POLRI').signing);

  // ---- 2. BIN seals a bundle and drops it off ---------------------------------------------
  console.log('== 2. Drop folder: BIN seals a TLP:AMBER bundle to POLRI and drops it off');
  const stix = withTlpMarking(JSON.parse(await readFile(new URL('./data/apt1.json', import.meta.url), 'utf8')), 'AMBER');
  const bundle = new BundleBuilder({
    title: 'Courier for the network arrives CGK 25 Nov',
    summary: 'Arrival details and the APT1 indicators seen on the courier\'s laptop.',
    markings: {
      tlp: 'AMBER',
      amberOrganizations: ['Kepolisian Negara Republik Indonesia'], // the organizations involved
      classification: 'RAHASIA',
      releasableTo: { countries: ['ID'], organizations: [] },
    },
  })
    .addText('report.txt', 'TLP:AMBER - Suspected courier for the network arrives CGK 2026-11-25 07:40 on GA-881.\nSeat 32K, one checked bag.\n')
    .addStix('apt1-indicators.json', stix);

  const folder = new DropFolderTransport({ root: join(dir, 'drop-folder') });
  const polriMailbox = mailboxId(polriCard); // an opaque id derived from POLRI's key, not a name
  const first = await sealAndSend(bin, binAudit, bundle, folder, polriMailbox);
  say('BIN', `-> sealed the bundle for POLRI (${first.length}-byte envelope) and dropped it off`);

  // Whoever handles the folder sees only opaque names and sizes; inspect shows the structure.
  const [file] = await readdir(join(dir, 'drop-folder', polriMailbox, 'new'));
  const seen = await inspect(first);
  // With padding, nobody can count the recipients (4 stanzas, 1 real) or tell the exact size.
  say('disk', `mailbox ${polriMailbox.slice(0, 12)}... holds ${file}: ${seen.stanzas.length} ${seen.stanzas[0]!.type} stanzas, ${seen.payloadBytes} encrypted bytes`);

  // Someone copies the file back into the folder: POLRI must process it only once.
  await folder.send(polriMailbox, first);

  // ---- 3. POLRI receives -----------------------------------------------------------------
  console.log('== 3. POLRI receives: verified sender, items checked against the signature, each envelope once');
  const replayGuard = await FileReplayGuard.open(join(dir, 'polri', 'replay.log'));
  await receiveEnvelopes(folder, polriMailbox, {
    open: openBundleFrom(polri, polriAudit),
    replayGuard,
    untilEmpty: true,
    handler: async ({ bundle: b, items, sender }, { envelope }) => {
      await recordReceived(polriAudit, b, envelope);
      say('POLRI', `<- "${b.manifest.title}" from ${b.sender.name} (${sender}), ${formatMarkings(b.manifest.markings)}, ${items.length} items match BIN's signature`);
      const report = items.find((i) => i.mediaType.startsWith('text/plain'))!;
      say('POLRI', `<- "${utf8(report.bytes).split('\n')[0]}"`);
      const { summary } = parseStixBundle(items.find((i) => i.name === 'apt1-indicators.json')!.bytes);
      say('POLRI', `<- STIX 2.1: ${summary.objectCount} objects (${summary.types.slice(0, 4).join(', ')}, ...), marked TLP:${summary.tlp}`);
    },
    onRejected: ({ error }) => say('POLRI', `<- refused a second copy: ${error.code}`),
  });

  // ---- 4. The markings travel with the bundle ---------------------------------------------
  console.log('== 4. Handling rules: POLRI tries to pass the bundle on to the Malaysian police');
  try {
    await forwardBundleWithKeyRing(polri, first, { from: 'POLRI', to: ['PDRM'] });
    throw new Error('the forward should have been refused');
  } catch (e) {
    if (!(e instanceof PolicyViolationError)) throw e;
    const rules = e.violations.map((v) => v.rule).join(', ');
    say('POLRI', `-> PDRM refused: ${e.code} (${rules})`);
  }

  // ---- 5. The same in real time over the HTTP relay ----------------------------------------
  console.log('== 5. HTTP relay: POLRI is listening; BIN sends an update');
  const relay = await startRelay({ dir: join(dir, 'relay'), host: '127.0.0.1', port: 0, allowSenders: [binCard.signingPublicKey] });
  say('relay', `listening on ${relay.url}, accepts envelopes only from BIN's key`);
  const polriClient = new RelayTransport({ url: relay.url, mailboxKeys: [polri.identityKeys('POLRI').signing] });
  const binClient = new RelayTransport({ url: relay.url, senderKey: bin.identityKeys('BIN').signing });
  const stop = new AbortController();
  let sentAt = 0;
  const listening = receiveEnvelopes(polriClient, polriMailbox, {
    open: openBundleFrom(polri, polriAudit),
    replayGuard, // the same guard: an envelope seen through the folder is not accepted again here
    signal: stop.signal,
    handler: async ({ bundle: b, items, sender }, { envelope }) => {
      await recordReceived(polriAudit, b, envelope);
      say('POLRI', `<- "${b.manifest.title}" from ${b.sender.name} (${sender}), ${Date.now() - sentAt} ms after it was sent`);
      say('POLRI', `<- "${utf8(items[0]!.bytes).trim()}"`);
      stop.abort();
    },
  });
  const update = new BundleBuilder({ title: 'Update: courier moved to GA-883', markings: { tlp: 'AMBER', amberOrganizations: ['Kepolisian Negara Republik Indonesia'] } })
    .addText('update.txt', 'TLP:AMBER - Courier rebooked on GA-883, arriving CGK 2026-11-25 09:15.');
  sentAt = Date.now();
  const second = await sealAndSend(bin, binAudit, update, binClient, polriMailbox);
  say('BIN', `-> sent an update through the relay (${second.length}-byte envelope)`);
  await listening;
  await Promise.all([polriClient.close(), binClient.close(), folder.close()]);
  await relay.close();

  // ---- 6. Audit trails ------------------------------------------------------------------
  console.log('== 6. Audit trails: signed, chained, no contents');
  for (const [who, ring] of [['BIN', bin], ['POLRI', polri]] as const) {
    const log = await verifyAuditLog(join(dir, who.toLowerCase(), 'audit.log'), { signer: ring.identity(who).card.signingPublicKey });
    say(who, `audit log ${log.ok ? 'verifies' : 'is BROKEN'}: ${log.entries.map((e) => e.event).join(', ')}`);
  }
  await replayGuard.close();
  for (const ring of [bin, polri, pdrm]) ring.close();
  if (keep) console.log(`kept everything in ${dir}`);
} finally {
  if (!keep) await rm(dir, { recursive: true, force: true });
}

/** BIN's side: seal through the key ring (policy checked, `sealed` audit entry), hand over, log `sent`. */
async function sealAndSend(ring: KeyRing, audit: AuditLog, bundle: BundleBuilder, transport: Transport, mailbox: string): Promise<Uint8Array> {
  const sender = bundleIdentityFromKeyRing(ring, 'BIN'); // a copy of BIN's signing key
  try {
    const sealed = await sealBundle(bundle, { sender, recipients: bundleRecipientsFromKeyRing(ring, ['POLRI']), audit, padding: true });
    const { envelope, recipients, manifestDigest } = sealed.deliveries[0]!;
    await transport.send(mailbox, envelope);
    await audit.record({ event: 'sent', bundleId: sealed.bundleId, manifestDigest, envelopeDigest: sha256(envelope), to: recipients.map((r) => r.fingerprint) });
    return envelope;
  } finally {
    sender.signing.secretKey.fill(0);
  }
}

/**
 * POLRI's side: open a bundle with the key ring, only from senders in it, and read every item,
 * so each is checked against the originator's signed manifest before the handler acts on it.
 * A LintasError here makes receiveEnvelopes refuse (and acknowledge) the envelope.
 */
function openBundleFrom(ring: KeyRing, audit: AuditLog) {
  return async (envelope: Uint8Array) => {
    const bundle = await openBundleWithKeyRing(ring, envelope, { requireKnownSender: true, audit });
    const items = await bundle.readAll();
    const sender = ring.lookupSigningKey(bundle.sender.signingKey)?.contact?.verification ?? 'unknown';
    return { envelopeId: bundle.envelope.envelopeId, bundle, items, sender };
  };
}

/** POLRI's `received` audit entry: which envelope, from whom (no contents). */
function recordReceived(audit: AuditLog, bundle: OpenedBundle, envelope: Uint8Array): Promise<unknown> {
  return audit.record({ event: 'received', envelopeId: bundle.envelope.envelopeId, envelopeDigest: sha256(envelope), from: bundle.sender.fingerprint });
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}
