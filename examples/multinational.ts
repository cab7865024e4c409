/**
 * A multinational exchange: BIN (Indonesia) shares one bundle with a regional ransomware task
 * force, with "REL TO" releasability enforced and items released selectively.
 *
 *   npm run example:multinational
 *
 * The bundle is TLP:GREEN, TERBATAS, REL TO ID, MY, SG, AU, INTERPOL. Two items carry their own,
 * narrower REL TO: the informant notes go only to Malaysia, the payment trail only to Singapore,
 * Australia and INTERPOL.
 *
 * 1. Sealing to the whole task force group is refused: the FBI (US) is not covered by the REL TO
 *    list, and the policy error names it and the rule.
 * 2. Sealed to the releasable partners, the bundle becomes one envelope per release group, each
 *    with its own manifest signed by BIN listing only that group's items.
 * 3. Each partner opens its envelope and sees only what was released to it; the others' envelopes
 *    do not open for it.
 * 4. An authorised override shares a copy with the FBI; the override (reason, who authorised it,
 *    which rule it lifted) is written into the manifest the FBI receives.
 */
import { readFile } from 'node:fs/promises';
import {
  BundleBuilder,
  bundleIdentityFromKeyRing,
  bundleRecipientsFromKeyRing,
  formatFingerprint,
  formatMarkings,
  KeyRing,
  LintasError,
  MemoryKeyRingStorage,
  openBundleWithKeyRing,
  PolicyViolationError,
  sealBundle,
  withTlpMarking,
  type BundleDelivery,
} from '../src/index.js';

const say = (who: string, text: string): void => console.log(`${who.padEnd(8)} ${text}`);

/** An agency with its own key ring (in memory here; FileKeyRingStorage in real use, see the demo). */
async function agency(name: string, organization: string, country: string) {
  const ring = await KeyRing.create(new MemoryKeyRingStorage(), { rawKey: crypto.getRandomValues(new Uint8Array(32)) });
  const { card } = await ring.createIdentity({ name, organization, country });
  return { name, ring, card };
}

const bin = await agency('BIN', 'Badan Intelijen Negara', 'ID');
const partners = [
  await agency('PDRM', 'Polis Diraja Malaysia', 'MY'),
  await agency('ISD', 'Internal Security Department', 'SG'),
  await agency('AFP', 'Australian Federal Police', 'AU'),
  await agency('INTERPOL', 'INTERPOL', 'FR'),
  await agency('FBI', 'Federal Bureau of Investigation', 'US'),
];
// Cards were exchanged and fingerprints compared at the task force's founding meeting.
for (const p of partners) {
  await bin.ring.importKeyCard(p.card, { name: p.name, fingerprint: formatFingerprint(p.card), groups: ['ransomware-taskforce'] });
  await p.ring.importKeyCard(bin.card, { name: 'BIN', fingerprint: formatFingerprint(bin.card) });
}

const stix = withTlpMarking(JSON.parse(await readFile(new URL('./data/poisonivy.json', import.meta.url), 'utf8')), 'GREEN');
const bundle = new BundleBuilder({
  title: 'Ransomware crew: joint picture for the task force',
  markings: {
    tlp: 'GREEN',
    classification: 'TERBATAS',
    releasableTo: { countries: ['ID', 'MY', 'SG', 'AU'], organizations: ['INTERPOL'] },
  },
})
  .addText('assessment.txt', 'The crew runs its loader from hosts in three countries; indicators attached.')
  .addStix('indicators.json', stix)
  .addText('informant-notes.txt', 'Source JAVELIN met the crew\'s courier in Johor Bahru on 12 Nov.', { releasableTo: { countries: ['MY'], organizations: [] } })
  .addBytes('payment-trail.csv', 'text/csv', new TextEncoder().encode('date,wallet,amount_usdt\n2026-11-02,TQ7x...9f,48000\n'), {
    releasableTo: { countries: ['AU', 'SG'], organizations: ['INTERPOL'] },
  });
const sender = bundleIdentityFromKeyRing(bin.ring, 'BIN');

// ---- 1. The whole group: refused -----------------------------------------------------------
console.log('== 1. BIN seals to group:ransomware-taskforce (TLP:GREEN TERBATAS REL TO AU, ID, MY, SG, INTERPOL)');
try {
  await sealBundle(bundle, { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['group:ransomware-taskforce']) });
  throw new Error('sealing to a recipient outside REL TO should have been refused');
} catch (e) {
  if (!(e instanceof PolicyViolationError)) throw e;
  say('BIN', `refused: ${e.code}`);
  for (const v of e.violations) say('', `${v.rule}: ${v.recipient!.name} (${v.recipient!.organization}, ${v.recipient!.country})`);
}

// ---- 2. The releasable partners: one envelope per release group ------------------------------
console.log('== 2. BIN seals to the releasable partners: one envelope per release group');
const sealed = await sealBundle(bundle, { sender, recipients: bundleRecipientsFromKeyRing(bin.ring, ['PDRM', 'ISD', 'AFP', 'INTERPOL']) });
for (const d of sealed.deliveries) {
  say('BIN', `-> ${d.recipients.map((r) => r.name).join(', ')}: ${d.items.join(', ')} (${d.envelope.length} bytes)`);
}

// ---- 3. Each partner opens its own envelope ----------------------------------------------
console.log('== 3. Each partner opens what was released to it');
for (const p of partners.slice(0, 4)) {
  const mine = sealed.deliveries.find((d) => d.recipients.some((r) => r.name === p.name))!;
  const opened = await openBundleWithKeyRing(p.ring, mine.envelope, { requireKnownSender: true });
  const items = await opened.readAll(); // each item checked against BIN's signed manifest
  say(p.name, `<- ${formatMarkings(opened.manifest.markings)} from ${opened.originator.name}: ${items.map((i) => i.name).join(', ')}`);
  const other = sealed.deliveries.find((d) => d !== mine)!;
  say('', `the envelope for ${other.recipients.map((r) => r.name).join(', ')}: ${await refusal(p.ring, other)}`);
}

// ---- 4. An authorised exception, visible to its recipient --------------------------------------
console.log('== 4. An authorised override shares a copy with the FBI');
const toFbi = await sealBundle(bundle, {
  sender,
  recipients: bundleRecipientsFromKeyRing(bin.ring, ['FBI']),
  override: { reason: 'FBI liaison joins the operation against the crew\'s US wallets', authorisedBy: 'Deputy Director BIN, order 17/2026' },
});
const fbi = partners[4]!;
const atFbi = await openBundleWithKeyRing(fbi.ring, toFbi.deliveries[0]!.envelope, { requireKnownSender: true });
const o = atFbi.manifest.override!;
say('FBI', `<- ${atFbi.manifest.items.map((i) => i.name).join(', ')}`);
say('', `override by "${o.authorisedBy}": ${o.lifted.map((l) => l.rule).join(', ')} lifted ("${o.reason}")`);
await atFbi.close();

sender.signing.secretKey.fill(0);
for (const a of [bin, ...partners]) a.ring.close();

/** Why an envelope does not open for this key ring: its error code. */
async function refusal(ring: KeyRing, delivery: BundleDelivery<Uint8Array>): Promise<string> {
  try {
    await (await openBundleWithKeyRing(ring, delivery.envelope)).close();
    return 'opened (unexpected)';
  } catch (e) {
    if (e instanceof LintasError) return `does not open, ${e.code}`;
    throw e;
  }
}
