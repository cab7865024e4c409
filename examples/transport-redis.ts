/**
 * Redis Streams transport: a stream per mailbox and sender, a consumer group of receivers.
 *
 *   npx tsx examples/transport-redis.ts
 *
 * Uses REDIS_URL if set; otherwise starts a throwaway redis-server on a free loopback port
 * (the `redis-server` program must be installed).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { generateIdentityKeys, mailboxId, MemoryReplayGuard, receiveEnvelopes, seal } from '../src/index.js';
import { RedisStreamsTransport } from '../src/node.js';

let url = process.env.REDIS_URL || undefined;
let stopServer = async (): Promise<void> => {};
if (url === undefined) {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dir = await mkdtemp(join(tmpdir(), 'lintas-redis-'));
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
  await new Promise<void>((resolve, reject) => {
    server.once('error', () => reject(new Error('redis-server not found: install it or set REDIS_URL')));
    server.stdout.on('data', (d: Buffer) => d.toString().includes('Ready to accept connections') && resolve());
  });
  url = `redis://127.0.0.1:${port}`;
  stopServer = async () => {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  };
}

// The app creates and owns the client; the transport only borrows it.
const client = createClient({ url });
await client.connect();
try {
  const bin = await generateIdentityKeys();
  const polri = await generateIdentityKeys();
  const mailbox = mailboxId(polri.signing.publicKey);
  // BIN writes its own stream of the mailbox (the per-agency ACL layout, docs/TRANSPORTS.md 3.4);
  // POLRI reads the streams of the senders it takes envelopes from. A server that could lose
  // acknowledged envelopes (no AOF, appendfsync not always, eviction) is refused.
  const transport = new RedisStreamsTransport({ client, sender: 'bin', senders: ['bin'] });
  await transport.send(mailbox, await seal(new TextEncoder().encode('shipment leaves Tanjung Priok 22:00'), { recipients: [polri.xwing], sender: bin.signing }));
  console.log(`BIN   -> XADD to stream lintas:mailbox:{${mailbox.slice(0, 16)}...}:from:bin`);
  await receiveEnvelopes(transport, mailbox, {
    keys: [polri.xwing],
    trustedSenders: [bin.signing.publicKey],
    replayGuard: new MemoryReplayGuard(),
    untilEmpty: true,
    handler: (opened) => console.log(`POLRI <- "${new TextDecoder().decode(opened.payload)}" (then XACK + XDEL)`),
  });
  await transport.close();
} finally {
  await client.close();
  await stopServer();
}
