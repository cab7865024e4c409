/**
 * The worker of a {@link LintasWorkerPool}: runs the unchanged single-thread `seal` and `open`
 * (SPEC sections 5 and 6) on the jobs it is sent, with the pool's keys, and answers with each
 * item's result or error. It keeps no state between jobs: no replay memory, no policy of its own
 * (the calling thread sends the policy with each batch, and applies replay protection to what
 * comes back: SPEC 10.7), and its keys are views of the memory the calling thread wipes.
 *
 * Built as its own file (dist/pool-worker.js and .cjs) because a worker thread starts from a
 * module of its own; the pool finds it next to itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cryptoReady } from '../crypto/sodium.js';
import { seal } from '../envelope/seal.js';
import { open, type OpenedEnvelope } from '../envelope/open.js';
import { toWireError, transferable, type Job, type Reply, type WireOpened, type WireResults, type WorkerStart } from './protocol.js';
import { sharedKeyPairs } from './shared-keys.js';
import { packOpened } from './opened-results.js';

const start = workerData as WorkerStart;
const port = parentPort!;
const { sender, keys } = sharedKeyPairs(start.keys);
const signer = start.anonymous ? { anonymous: true } : sender ? { sender } : {};

/**
 * Seal or open each item of a job, one at a time (a worker is one core; concurrency comes from
 * the pool's other workers), each outcome a result or an error of its own.
 */
async function run(job: Job): Promise<{ reply: Reply; transfer: ArrayBuffer[] }> {
  const transfer: ArrayBuffer[] = [];
  if (job.kind === 'seal') {
    const results: WireResults<Uint8Array> = { values: [], errors: [] };
    for (const [i, payload] of job.payloads.entries()) {
      try {
        const envelope = transferable(await seal(payload, { ...job.options[i]!, ...signer }));
        transfer.push(envelope.buffer as ArrayBuffer);
        results.values.push(envelope);
      } catch (e) {
        results.values.push(null);
        results.errors.push([i, toWireError(e)]);
      }
    }
    // The job's copies of the plaintexts (views of the buffers it brought) are not kept until GC.
    for (const payload of job.payloads) payload.fill(0);
    return { reply: { id: job.id, kind: 'sealed', results }, transfer };
  }
  const opened: (OpenedEnvelope | null)[] = [];
  const errors: WireResults<WireOpened>['errors'] = [];
  const options = { ...job.policy, keys };
  for (const [i, envelope] of job.envelopes.entries()) {
    try {
      opened.push(await open(envelope, options));
    } catch (e) {
      opened.push(null);
      errors.push([i, toWireError(e)]);
    }
  }
  const { tuples, transfer: buffers } = packOpened(opened);
  const results: WireResults<WireOpened> = { values: tuples, errors };
  transfer.push(...buffers);
  return { reply: { id: job.id, kind: 'opened', results }, transfer };
}

// No top-level await: the CommonJS build of this file has none. Jobs that arrive before the
// listener is attached wait in the port.
void cryptoReady().then(() => {
  port.on('message', (job: Job) => {
    void run(job).then(({ reply, transfer }) => port.postMessage(reply, transfer));
  });
  port.postMessage({ kind: 'ready' } satisfies Reply);
});
