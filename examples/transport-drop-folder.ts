/**
 * Drop folder transport: a folder on a local or shared file system (or a USB stick carried
 * across an air gap). Senders and receivers may be different processes on different machines.
 *
 *   npx tsx examples/transport-drop-folder.ts [folder]
 *
 * Without an argument a temporary folder is used and removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentityKeys, mailboxId, receiveEnvelopes, seal } from '../src/index.js';
import { DropFolderTransport, FileReplayGuard } from '../src/node.js';

const root = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'lintas-drop-')));
const bin = await generateIdentityKeys();
const polri = await generateIdentityKeys();
const mailbox = mailboxId(polri.signing.publicKey);

// Sender side: each send is written under tmp/, fsynced and renamed into new/.
const sender = new DropFolderTransport({ root });
await sender.send(mailbox, await seal(new TextEncoder().encode('vessel sighted 03:10Z'), { recipients: [polri.xwing], sender: bin.signing }));
await sender.close();
console.log(`BIN   -> dropped an envelope into ${join(root, mailbox, 'new')}`);

// Receiver side: claims by rename (safe with several readers), acks by deleting, and remembers
// processed envelope ids in an fsynced log so a copy dropped again is refused.
const receiver = new DropFolderTransport({ root });
const replayGuard = await FileReplayGuard.open(join(root, 'polri-replay.log'));
await receiveEnvelopes(receiver, mailbox, {
  keys: [polri.xwing],
  trustedSenders: [bin.signing.publicKey],
  replayGuard,
  untilEmpty: true,
  handler: (opened) => console.log(`POLRI <- "${new TextDecoder().decode(opened.payload)}"`),
});
await replayGuard.close();
await receiver.close();
if (process.argv[2] === undefined) await rm(root, { recursive: true, force: true });
