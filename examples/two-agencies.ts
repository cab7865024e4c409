/**
 * The main demo: two agencies exchange a sealed report through a drop folder on the local disk.
 *
 *   npm install && npm run demo
 *
 * BIN (the national intelligence agency) seals a report to POLRI (the police), signed with its
 * key, and drops it into POLRI's mailbox folder (atomically: written under tmp/, renamed into
 * new/). POLRI receives it, checks that it came from BIN, that nothing was changed and that it
 * is not a replay, and prints it; only then is it acknowledged and removed from the folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentityKeys, inspect, mailboxId, MemoryReplayGuard, receiveEnvelopes, seal } from '../src/index.js';
import { DropFolderTransport } from '../src/node.js';

const root = await mkdtemp(join(tmpdir(), 'lintas-demo-'));
const folder = new DropFolderTransport({ root });
try {
  const bin = await generateIdentityKeys();
  const polri = await generateIdentityKeys();
  const polriMailbox = mailboxId(polri.signing.publicKey); // an opaque id, not a name

  // BIN seals a report to POLRI's post-quantum (X-Wing) key, signs it and drops it off.
  const report = new TextEncoder().encode('TLP:AMBER - Suspected courier for the network arrives CGK 2026-11-25 07:40 on GA-881.');
  const envelope = await seal(report, {
    recipients: [polri.xwing],
    sender: bin.signing,
    contentType: 'text/plain; charset=utf-8',
    padding: true,
  });
  await folder.send(polriMailbox, envelope);
  console.log(`BIN   -> sealed ${report.length} bytes into a ${envelope.length}-byte envelope for mailbox ${polriMailbox.slice(0, 16)}...`);

  // Anyone handling the file sees only its structure.
  const seen = await inspect(envelope);
  console.log(`relay -> sees ${seen.stanzas.length} ${seen.stanzas[0]!.type} stanzas, ${seen.payloadBytes} payload bytes, nothing else`);

  // POLRI picks it up, opens it and requires BIN's signature; replays would be refused.
  await receiveEnvelopes(folder, polriMailbox, {
    keys: [polri.x25519, polri.xwing],
    trustedSenders: [bin.signing.publicKey],
    replayGuard: new MemoryReplayGuard(), // lintas/node's FileReplayGuard remembers across restarts
    untilEmpty: true,
    handler: (opened) => {
      console.log(`POLRI <- signed by BIN = ${opened.authenticated}, opened with ${opened.openedWith.type}`);
      console.log(`POLRI <- "${new TextDecoder().decode(opened.payload)}"`);
    },
  });
} finally {
  await folder.close();
  await rm(root, { recursive: true, force: true });
}
