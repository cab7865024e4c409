/**
 * One thread of the application-side pool of `run.ts` (the reference line of the pool row):
 * unchanged lintas sealing and opening 1 KiB pairs in a worker thread, as an application would
 * spread independent messages over its cores without any pool API from lintas. Bundled by
 * `run.ts` with esbuild and started with plain node's Worker, so no TypeScript loader runs in
 * the thread. Message in: a number of pairs to run; message out: the same number, when done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cryptoReady, identityKeysFromSeed, open, seal } from '../src/index.js';

const { sender: senderSeed, recipient: recipientSeed } = workerData as { sender: string; recipient: string };
await cryptoReady();
const sender = await identityKeysFromSeed(Buffer.from(senderSeed, 'hex'));
const recipient = await identityKeysFromSeed(Buffer.from(recipientSeed, 'hex'));
const sealOptions = { recipients: [recipient.x25519], sender: sender.signing };
const openOptions = { keys: [recipient.x25519], trustedSenders: [sender.signing.publicKey] };
const payload = new Uint8Array(1024).map((_, i) => (i * 31) & 0xff);

parentPort!.on('message', async (pairs: number) => {
  for (let i = 0; i < pairs; i++) {
    const opened = await open(await seal(payload, sealOptions), openOptions);
    if (opened.payload.length !== payload.length) throw new Error('the payload did not survive the round trip');
  }
  parentPort!.postMessage(pairs);
});
parentPort!.postMessage(0); // ready
