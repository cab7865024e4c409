/**
 * TAXII 2.1: BIN sends a signed, encrypted bundle (a report and STIX 2.1 indicators) to POLRI
 * through a TAXII 2.1 server, the kind agencies already run for STIX (OpenCTI, MISP, medallion).
 * Here lintas's own server (`lintas taxii serve`) runs on 127.0.0.1; the server stores only a
 * STIX artifact of ciphertext. POLRI's receiver keeps a durable cursor, so a restart resumes
 * where it stopped.
 *
 *   npx tsx examples/taxii.ts
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BundleBuilder,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  fingerprintHex,
  KeyRing,
  mailboxId,
  MemoryKeyRingStorage,
  MemoryReplayGuard,
  openBundleWithKeyRing,
  parseStixBundle,
  receiveEnvelopes,
  sealBundle,
  TaxiiTransport,
  taxiiCollectionId,
  withTlpMarking,
} from '../src/index.js';
import { FileTaxiiCursorStore, startTaxiiServer } from '../src/node.js';

const say = (who: string, text: string): void => console.log(`${who.padEnd(5)} ${text}`);
const dir = await mkdtemp(join(tmpdir(), 'lintas-taxii-'));
try {
  // Two agencies with key rings; they swap cards and compare fingerprints out of band.
  const bin = await KeyRing.create(new MemoryKeyRingStorage(), { rawKey: crypto.getRandomValues(new Uint8Array(32)) });
  const polri = await KeyRing.create(new MemoryKeyRingStorage(), { rawKey: crypto.getRandomValues(new Uint8Array(32)) });
  const binCard = (await bin.createIdentity({ name: 'BIN', organization: 'Badan Intelijen Negara', country: 'ID' })).card;
  const polriCard = (await polri.createIdentity({ name: 'POLRI', organization: 'Kepolisian Negara Republik Indonesia', country: 'ID' })).card;
  await polri.importKeyCard(binCard, { name: 'BIN', fingerprint: fingerprintHex(binCard) });
  await bin.importKeyCard(polriCard, { name: 'POLRI', fingerprint: fingerprintHex(polriCard) });

  // The TAXII server: POLRI's mailbox is a collection BIN may write and only POLRI may read.
  const inbox = mailboxId(polriCard);
  const collection = taxiiCollectionId(inbox);
  const server = await startTaxiiServer({
    dir: join(dir, 'taxii'),
    collections: [{ id: collection, title: 'POLRI inbox (lintas envelopes)' }],
    users: [
      { username: 'bin', password: 'bin-demo-password', canWrite: [collection] },
      { username: 'polri', password: 'polri-demo-password', canRead: [collection], canWrite: [collection] },
    ],
  });
  say('taxii', `TAXII 2.1 server at ${server.discoveryUrl}, collection ${collection}`);
  try {
    // BIN seals a TLP:GREEN bundle and posts it.
    const stix = withTlpMarking(JSON.parse(await readFile(new URL('./data/poisonivy.json', import.meta.url), 'utf8')), 'GREEN');
    const bundle = new BundleBuilder({ title: 'Poison Ivy C2 hosts', summary: 'Indicators from the November campaign.', markings: { tlp: 'GREEN' } })
      .addText('report.txt', 'TLP:GREEN - Poison Ivy C2 infrastructure seen again this week; indicators attached.\n')
      .addStix('poisonivy.json', stix);
    const sender = bundleIdentityFromKeyRing(bin, 'BIN');
    const sealed = await sealBundle(bundle, { sender, recipients: bundleRecipientsFromKeyRing(bin, ['POLRI']), padding: true });
    sender.signing.secretKey.fill(0);
    const binTaxii = new TaxiiTransport({ apiRoot: server.apiRoot, auth: { username: 'bin', password: 'bin-demo-password' } });
    await binTaxii.send(inbox, sealed.deliveries[0]!.envelope); // resolves once the status resource says "complete"
    await binTaxii.close();
    say('BIN', `-> posted a ${sealed.deliveries[0]!.envelope.length}-byte envelope to POLRI's collection`);

    // What the TAXII server holds: one STIX artifact of ciphertext, nothing about who or what.
    const objectsDir = join(dir, 'taxii', collection, 'objects');
    const stored = JSON.parse(await readFile(join(objectsDir, (await readdir(objectsDir))[0]!), 'utf8')) as Record<string, unknown>;
    say('taxii', `stores ${stored.id}: ${Object.keys(stored).join(', ')} (mime_type ${String(stored.mime_type)})`);

    // POLRI polls with a durable cursor and a replay guard, opens, verifies, acknowledges.
    const cursors = new FileTaxiiCursorStore(join(dir, 'polri-cursors'));
    const polriTaxii = new TaxiiTransport({ apiRoot: server.apiRoot, auth: { username: 'polri', password: 'polri-demo-password' }, cursorStore: cursors, deleteOnAck: true });
    const result = await receiveEnvelopes(polriTaxii, inbox, {
      // Open with the key ring; `sender` (the signing key) keys the replay guard (SPEC 10.7).
      open: async (envelope) => {
        const b = await openBundleWithKeyRing(polri, envelope, { requireKnownSender: true });
        return { envelopeId: b.envelope.envelopeId, sender: b.sender.signingKey, bundle: b, items: await b.readAll() };
      },
      replayGuard: new MemoryReplayGuard(), // FileReplayGuard in a long-running receiver
      untilEmpty: true,
      handler: async ({ bundle: b, items }) => {
        const { summary } = parseStixBundle(items.find((i) => i.name === 'poisonivy.json')!.bytes);
        say('POLRI', `<- "${b.manifest.title}" from ${b.sender.name} (${polri.contact('BIN').verification}), TLP:${b.manifest.markings.tlp}, STIX: ${summary.objectCount} objects`);
      }, // resolves -> acked: saved in the cursor first, then the object is deleted (deleteOnAck)
    });
    say('POLRI', `processed ${result.processed}, refused ${result.rejected}`);
    await polriTaxii.close();
    await cursors.close();
    say('POLRI', `collection now holds ${(await readdir(objectsDir)).length} objects`);
  } finally {
    await server.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
