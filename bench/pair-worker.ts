/**
 * One thread of the application-side pool of `run.ts` (the reference line of the pool row):
 * unchanged lintas sealing and opening 1 KiB pairs in a worker thread, as an application would
 * spread independent messages over its cores without any pool API from lintas. Bundled by
 * `run.ts` with esbuild and started with plain node's Worker, so no TypeScript loader runs in
 * the thread. Messages in, each answered in turn:
 *
 * - a number of pairs: seal and open that many, answer the same number when done (nothing
 *   crosses between threads but the two numbers);
 * - `{ seal: Packed }`: 1 KiB payloads to seal, answered with the envelopes;
 * - `{ open: Packed }`: envelopes to open, answered with their payloads.
 *
 * The last two are what any pool API has to do besides the crypto (take each input from the
 * calling thread, hand each result back), done as cheaply as an application could: one
 * transferred buffer per batch each way, no checks, no result objects.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cryptoReady, identityKeysFromSeed, open, seal } from '../src/index.js';
import { pack, unpack, type Packed } from './packed.js';

const { sender: senderSeed, recipient: recipientSeed } = workerData as { sender: string; recipient: string };
await cryptoReady();
const sender = await identityKeysFromSeed(Buffer.from(senderSeed, 'hex'));
const recipient = await identityKeysFromSeed(Buffer.from(recipientSeed, 'hex'));
const sealOptions = { recipients: [recipient.x25519], sender: sender.signing };
const openOptions = { keys: [recipient.x25519], trustedSenders: [sender.signing.publicKey] };
const payload = new Uint8Array(1024).map((_, i) => (i * 31) & 0xff);

/** Answers in the order the messages came: a job waits for the one before it. */
let queue: Promise<unknown> = Promise.resolve();
parentPort!.on('message', (job: number | { seal: Packed } | { open: Packed }) => {
  queue = queue.then(async () => {
    if (typeof job === 'number') {
      for (let i = 0; i < job; i++) {
        const opened = await open(await seal(payload, sealOptions), openOptions);
        if (opened.payload.length !== payload.length) throw new Error('the payload did not survive the round trip');
      }
      parentPort!.postMessage(job);
      return;
    }
    const out: Uint8Array[] = [];
    if ('seal' in job) for (const p of unpack(job.seal)) out.push(await seal(p, sealOptions));
    else for (const e of unpack(job.open)) out.push((await open(e, openOptions)).payload);
    const packed = pack(out);
    parentPort!.postMessage(packed, [packed.bytes.buffer as ArrayBuffer]);
  });
});
parentPort!.postMessage(0); // ready
