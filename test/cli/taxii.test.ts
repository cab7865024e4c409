/**
 * `lintas taxii serve` as a process: it serves the collections and users of its --config file
 * (a collection given by a key card is that card's mailbox), a TaxiiTransport exchanges an
 * envelope through it, it refuses a bad config with a usage error, and it stops on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { armorKeyCard, envelopeBytes, KEYRING_KDF_MINIMUM, KeyRing, mailboxId, MemoryKeyRingStorage, TaxiiTransport, taxiiCollectionId } from '../../src/index.js';
import { Cli, buildCli, waitForOutput, workFolder } from './cli-kit.js';

let script: string;
let work: { dir: string; remove: () => Promise<void> };
const w = (name: string): string => join(work.dir, name);

beforeAll(async () => {
  script = await buildCli();
  work = await workFolder('taxii');
});
afterAll(async () => {
  await work?.remove();
});

describe('lintas taxii serve', () => {
  it('serves a mailbox collection named by a key card; a TaxiiTransport exchanges an envelope through it', async () => {
    const ring = await KeyRing.create(new MemoryKeyRingStorage(), { passphrase: 'x', kdf: KEYRING_KDF_MINIMUM });
    const card = (await ring.createIdentity({ name: 'POLRI', organization: 'POLRI', country: 'ID' })).card;
    await writeFile(w('polri.card'), armorKeyCard(card));
    const collection = taxiiCollectionId(mailboxId(card));
    await writeFile(
      w('taxii.json'),
      JSON.stringify({
        collections: [{ card: 'polri.card', title: 'POLRI inbox' }],
        users: [
          { username: 'bin', password: 'bin-password-123', canWrite: [collection] },
          { username: 'polri', password: 'polri-password-123', canRead: [collection] },
        ],
      }),
    );
    await mkdir(w('home'), { recursive: true });
    const cli = new Cli(script, w('home'));
    const server = cli.spawn(['taxii', 'serve', '--dir', w('store'), '--config', w('taxii.json'), '--json']);
    let output = '';
    server.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const printed = await waitForOutput(server, /"apiRoot": "http:\/\/127\.0\.0\.1:\d+\/lintas\/"/);
      const apiRoot = /http:\/\/127\.0\.0\.1:\d+\/lintas\//.exec(printed)![0];
      await waitForOutput(server, new RegExp(`"id": "${collection}"`)); // the card's mailbox collection
      const sender = new TaxiiTransport({ apiRoot, auth: { username: 'bin', password: 'bin-password-123' } });
      await sender.send(mailboxId(card), new Uint8Array([1, 2, 3]));
      await sender.close();
      const receiver = new TaxiiTransport({ apiRoot, auth: { username: 'polri', password: 'polri-password-123' } });
      const got: Uint8Array[] = [];
      for await (const d of receiver.receive(mailboxId(card), { untilEmpty: true })) {
        got.push(await envelopeBytes(d.envelope));
        await d.ack();
      }
      await receiver.close();
      expect(got).toEqual([new Uint8Array([1, 2, 3])]);
    } finally {
      server.kill('SIGTERM');
      const [code, signal] = (await once(server, 'exit')) as [number | null, string | null];
      expect({ code, signal, output }).toMatchObject({ code: 0 });
    }
  });

  it('refuses a config with a short password or an unknown collection (exit 2), naming the problem', async () => {
    await writeFile(w('bad.json'), JSON.stringify({ collections: [{ id: '0d2e4f6a-1b3c-4d5e-8f70-123456789abc', title: 'x' }], users: [{ username: 'u', password: 'short', canRead: '*' }] }));
    const cli = new Cli(script, w('home'));
    const r = await cli.run(['taxii', 'serve', '--dir', w('store2'), '--config', w('bad.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('password must be at least 12 characters');
    await writeFile(w('bad2.json'), JSON.stringify({ collections: [], users: [{ username: 'u', password: 'long-enough-password', canRead: ['0d2e4f6a-1b3c-4d5e-8f70-123456789abc'] }] }));
    const r2 = await cli.run(['taxii', 'serve', '--dir', w('store2'), '--config', w('bad2.json')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('canRead');
  });
});
