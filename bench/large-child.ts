/**
 * One 1 GiB streamed run, in a process of its own (started by `large-stream.ts`, bundled and
 * run with plain node so neither the TypeScript loader nor the other contenders count towards
 * its peak RSS). Arguments: <contender> <encrypt|decrypt|idle> <bytes> <keys.json> <file>.
 * Prints a {@link LargeResult} as JSON.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BenchKeys, StreamContender } from './contenders.js';
import type { LargeContender, LargeOp, LargeResult } from './large-stream.js';
import { mainThreadTimes, stolenCpuSeconds } from './machine.js';

const MiB = 1024 * 1024;

/**
 * This process's peak RSS. On Linux, from VmHWM: getrusage's maxrss (process.resourceUsage())
 * keeps the parent's peak across fork and exec, so it would report the benchmark's own memory.
 */
function peakRss(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

async function contenderFor(name: LargeContender, keys: BenchKeys): Promise<StreamContender> {
  if (name === 'io' || name === 'one-core' || name === 'two-core' || name === 'two-core-checkpoints') {
    const { ioReference, oneCoreReference, twoCoreCheckpointsReference, twoCoreReference } = await import('./references.js');
    if (name === 'two-core-checkpoints') return twoCoreCheckpointsReference();
    return name === 'io' ? ioReference() : name === 'one-core' ? oneCoreReference() : twoCoreReference();
  }
  if (name === 'native' || name === 'lintas') {
    const { lintasContender, lintasParties, nativeChaCha } = await import('./contenders.js');
    if (name === 'native') return nativeChaCha() as StreamContender;
    const parties = await lintasParties(keys);
    return lintasContender(parties, parties.recipient.x25519) as StreamContender;
  }
  const { ageContender, openpgpContender } = await import('./other-libraries.js');
  if (name === 'age') return (await ageContender(keys.age.x25519)) as StreamContender;
  return (await openpgpContender(keys, name === 'openpgp' ? 'aead' : 'default')) as StreamContender;
}

/** The payload, 1 MiB at a time and never whole: the same random piece over and over. */
async function* generatedPayload(bytes: number): AsyncGenerator<Uint8Array> {
  const piece = new Uint8Array(randomBytes(MiB));
  for (let left = bytes; left > 0; left -= piece.length) yield left >= piece.length ? piece : piece.subarray(0, left);
}

const [name, op, size, keysPath, file] = process.argv.slice(2) as [LargeContender, LargeOp, string, string, string];
const contender = await contenderFor(name, JSON.parse(readFileSync(keysPath, 'utf8')) as BenchKeys);
const bytes = Number(size);
const stolenAtStart = stolenCpuSeconds();
const threadAtStart = mainThreadTimes();
const usageAtStart = process.resourceUsage();
const start = performance.now();
let processed = bytes;
if (op === 'encrypt') await contender.encryptToFile(generatedPayload(bytes), file);
if (op === 'decrypt') processed = await contender.decryptFile(file);
const seconds = (performance.now() - start) / 1000;
const usageAtEnd = process.resourceUsage();
const threadAtEnd = mainThreadTimes();
const stolenAtEnd = stolenCpuSeconds();
if (op === 'decrypt' && processed !== bytes) throw new Error(`${name} decrypted ${processed} bytes, expected ${bytes}`);
const stolen = stolenAtStart === null || stolenAtEnd === null ? undefined : stolenAtEnd - stolenAtStart;
const result: LargeResult = {
  seconds,
  bytes: processed,
  peakRss: peakRss(),
  ...(stolen === undefined ? {} : { stolen }),
  ...(threadAtStart === null || threadAtEnd === null
    ? {}
    : { mainThread: { cpu: threadAtEnd.cpu - threadAtStart.cpu, runQueue: threadAtEnd.runQueue - threadAtStart.runQueue } }),
  minorFaults: usageAtEnd.minorPageFault - usageAtStart.minorPageFault,
  systemSeconds: (usageAtEnd.systemCPUTime - usageAtStart.systemCPUTime) / 1e6,
};
process.stdout.write(JSON.stringify(result));
