/**
 * The main demo: two agencies exchange a sealed report through a folder on the local disk.
 *
 *   npm install && npm run demo
 *
 * BIN (the national intelligence agency) seals a report to POLRI (the police), signed with its
 * key; the envelope is dropped atomically into POLRI's inbox folder; POLRI opens it, checks
 * that it came from BIN and that nothing was changed, and prints it.
 */
import { mkdtemp, mkdir, readdir, readFile, rename, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentityKeys, inspect, open, seal } from '../src/index.js';

const root = await mkdtemp(join(tmpdir(), 'lintas-demo-'));
try {
  const bin = await generateIdentityKeys();
  const polri = await generateIdentityKeys();
  const inbox = join(root, 'polri-inbox');
  await mkdir(join(inbox, 'tmp'), { recursive: true });
  await mkdir(join(inbox, 'new'), { recursive: true });

  // BIN seals a report to POLRI's post-quantum (X-Wing) key and signs it.
  const report = new TextEncoder().encode('TLP:AMBER - Suspected courier for the network arrives CGK 2026-11-25 07:40 on GA-881.');
  const envelope = await seal(report, {
    recipients: [polri.xwing],
    sender: bin.signing,
    contentType: 'text/plain; charset=utf-8',
    padding: true,
  });
  // Atomic delivery: write under tmp/, then rename into new/.
  await writeFile(join(inbox, 'tmp', 'msg-1.lintas'), envelope);
  await rename(join(inbox, 'tmp', 'msg-1.lintas'), join(inbox, 'new', 'msg-1.lintas'));
  console.log(`BIN   -> sealed ${report.length} bytes into a ${envelope.length}-byte envelope in ${join(inbox, 'new')}`);

  // Anyone handling the file sees only its structure.
  const seen = await inspect(envelope);
  console.log(`relay -> sees ${seen.stanzas.length} ${seen.stanzas[0]!.type} stanzas, ${seen.payloadBytes} payload bytes, nothing else`);

  // POLRI picks it up, opens it and requires BIN's signature.
  for (const name of await readdir(join(inbox, 'new'))) {
    const opened = await open(await readFile(join(inbox, 'new', name)), {
      keys: [polri.x25519, polri.xwing],
      trustedSenders: [bin.signing.publicKey],
    });
    console.log(`POLRI <- ${name}: signed by BIN = ${opened.authenticated}, opened with ${opened.openedWith.type}`);
    console.log(`POLRI <- "${new TextDecoder().decode(opened.payload)}"`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
