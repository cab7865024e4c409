/**
 * A citizens' tip line: anonymous reports sealed to a police desk, read by the desk.
 *
 *   npm run example:tip-line
 *
 * The desk publishes its key card and fingerprint (website, posters). A citizen's tip form,
 * which needs only the browser-safe `lintas` entry, checks the card against the published
 * fingerprint and seals the tip to it anonymously: no signature, no sender key, hidden
 * recipients and padded sizes, so the relay holding it learns neither who wrote it nor whom it
 * is for nor its exact length. The desk reads the tips with its key ring, accepting anonymous
 * envelopes only because it asks to, and processes each tip once.
 *
 * What this does not hide: the citizen's network address from the relay (use Tor or a shared
 * network for that), and anything the tip's text itself gives away.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  armorKeyCard,
  decodeKeyCard,
  formatFingerprint,
  inspect,
  KeyRing,
  LintasError,
  mailboxId,
  MemoryKeyRingStorage,
  MemoryReplayGuard,
  receiveEnvelopes,
  RelayTransport,
  seal,
} from '../src/index.js';
import { startRelay } from '../src/node.js';

const say = (who: string, text: string): void => console.log(`${who.padEnd(9)} ${text}`);
const dir = await mkdtemp(join(tmpdir(), 'lintas-tip-line-'));
const relay = await startRelay({ dir, host: '127.0.0.1', port: 0 }); // no sender allow-list: anyone may post a tip
try {
  // ---- The desk sets up and publishes its card -------------------------------------------------
  const desk = await KeyRing.create(new MemoryKeyRingStorage(), { rawKey: crypto.getRandomValues(new Uint8Array(32)) });
  const deskCard = (await desk.createIdentity({ name: 'tip-desk', cardName: 'POLRI tip desk', organization: 'Kepolisian Negara Republik Indonesia', country: 'ID' })).card;
  const published = { card: armorKeyCard(deskCard), fingerprint: formatFingerprint(deskCard) };
  console.log('== The desk publishes its key card and fingerprint');
  say('desk', `fingerprint on the posters: ${published.fingerprint}`);

  // ---- Citizens seal tips in the tip form ----------------------------------------------------
  console.log('== Citizens send tips through the relay, anonymously');
  const tips = [
    'A boat unloads smuggled fuel at Pelabuhan Ratu every Tuesday around 02:00.',
    'The shophouse at Jl. Melati 12 runs an online gambling site; the servers are upstairs.',
  ];
  const form = new RelayTransport({ url: relay.url }); // no key, no session: a plain upload
  const posted: Uint8Array[] = [];
  for (const [i, text] of tips.entries()) {
    const { envelope, mailbox } = await sealTip(published, { text, at: new Date().toISOString() });
    await form.send(mailbox, envelope);
    posted.push(envelope);
    say(`citizen ${i + 1}`, `-> sent a ${envelope.length}-byte envelope`);
  }
  // Someone who captured the first envelope posts it again.
  await form.send(mailboxId(deskCard), posted[0]!);
  await form.close();
  say('someone', '-> posted a copy of the first tip again');

  const view = await inspect(posted[0]!);
  say('relay', `holds ${posted.length + 1} envelopes: ${view.hiddenRecipients ? 'hidden recipients' : 'recipients visible'}, ${view.stanzas.length} ${view.stanzas[0]!.type} stanzas, ${view.stanzas.filter((st) => st.recipientId !== null).length} with a recipient id`);

  // ---- The desk reads ----------------------------------------------------------------------
  console.log('== The desk reads the tips');
  try {
    await desk.open(posted[0]!);
    throw new Error('an anonymous envelope should be refused unless the reader allows it');
  } catch (e) {
    if (!(e instanceof LintasError)) throw e;
    say('desk', `(opened without allowAnonymous: ${e.code})`);
  }
  const deskClient = new RelayTransport({ url: relay.url, mailboxKeys: [desk.identityKeys('tip-desk').signing] });
  const result = await receiveEnvelopes(deskClient, mailboxId(deskCard), {
    open: (envelope) => desk.open(envelope, { allowAnonymous: true }),
    replayGuard: new MemoryReplayGuard(), // FileReplayGuard (lintas/node) in a real desk
    untilEmpty: true,
    handler: (opened) => {
      const tip = JSON.parse(new TextDecoder().decode(opened.payload)) as { text: string };
      say('desk', `<- ${opened.senderVerification} tip: "${tip.text}"`);
    },
    onRejected: ({ error }) => say('desk', `<- refused: ${error.code}`),
  });
  say('desk', `processed ${result.processed} tips, refused ${result.rejected}`);
  await deskClient.close();
  desk.close();
} finally {
  await relay.close();
  await rm(dir, { recursive: true, force: true });
}

/**
 * The tip form: check the published card against the published fingerprint, then seal to the
 * card's post-quantum key with no sender at all. The desk's mailbox on the relay is named by its card.
 */
async function sealTip(published: { card: string; fingerprint: string }, tip: { text: string; at: string }): Promise<{ envelope: Uint8Array; mailbox: string }> {
  const card = await decodeKeyCard(published.card); // checks the card's self-signature
  if (formatFingerprint(card) !== published.fingerprint) throw new Error('this is not the desk\'s card: do not send');
  const key = card.encryptionKeys.find((k) => k.type === 'X-Wing') ?? card.encryptionKeys[0]!;
  const envelope = await seal(new TextEncoder().encode(JSON.stringify(tip)), {
    recipients: [key],
    anonymous: true,
    hideRecipients: true,
    padding: true,
    contentType: 'application/json',
  });
  return { envelope, mailbox: mailboxId(card) };
}
