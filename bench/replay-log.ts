/**
 * Opening a replay log of many ids: time to open and memory it takes (issue 15, item 3).
 *
 *   npx tsx bench/replay-log.ts                                  1,000,000 ids, this version
 *   npx tsx bench/replay-log.ts --ids 5000000
 *   npx tsx bench/replay-log.ts --baseline /tmp/base/src         also the version in that src/
 *                                                                 (e.g. `git archive <commit> src | tar -x -C /tmp/base`)
 *
 * The log is written directly in the format the version under test reads (format 1 for a
 * baseline from before format 2: "LNTSRPL1" + id || SHA-256 check; format 2: see
 * src/transports/file-replay-guard.ts), all ids inside their window. Each open runs in a fresh
 * child process, which reports the time of `FileReplayGuard.open` and the growth of its RSS
 * and heap; every id is then looked up to check the log was read whole (not timed).
 */
import { spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { ids: { type: 'string' }, baseline: { type: 'string' }, child: { type: 'string' }, src: { type: 'string' }, sample: { type: 'string' } },
});

if (args.child) {
  await child(args.child, args.src!, args.sample!);
} else {
  const count = Number(args.ids ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'lintas-bench-replay-'));
  try {
    const self = fileURLToPath(import.meta.url);
    const runs: [string, string][] = [['current', resolve(self, '../../src')]];
    if (args.baseline) runs.unshift(['baseline', resolve(args.baseline)]);
    console.log(`replay log of ${count.toLocaleString('en')} ids (node ${process.version})`);
    for (const [name, src] of runs) {
      // A src/ from before format 2 has no lock file module.
      const format = existsSync(join(src, 'transports/lock-file.ts')) ? 2 : 1;
      const path = join(dir, `${name}.log`);
      const sample = format === 1 ? writeFormat1(path, count) : writeFormat2(path, count);
      const out = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', self, '--child', path, '--src', src, '--sample', sample], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`${name}: ${out.stderr}`);
      const r = JSON.parse(out.stdout) as { openMs: number; rssMiB: number; heapMiB: number; fileMiB: number };
      console.log(
        `${name.padEnd(8)} format ${format}: file ${r.fileMiB.toFixed(1)} MiB, open ${r.openMs.toFixed(0)} ms, RSS +${r.rssMiB.toFixed(0)} MiB, heap +${r.heapMiB.toFixed(0)} MiB, ${((r.rssMiB * 1048576) / count).toFixed(0)} bytes of RSS per id`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Format 1: "LNTSRPL1", then id (16) || SHA-256("lintas/v1 replay log" || 0 || id)[0..4]. Returns one id (hex). */
function writeFormat1(path: string, count: number): string {
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.from('LNTSRPL1'));
  let sample = '';
  const batch = 50_000;
  for (let done = 0; done < count; done += batch) {
    const n = Math.min(batch, count - done);
    const buf = Buffer.alloc(n * 20);
    const ids = randomBytes(n * 16);
    for (let i = 0; i < n; i++) {
      const id = ids.subarray(i * 16, i * 16 + 16);
      id.copy(buf, i * 20);
      createHash('sha256').update('lintas/v1 replay log').update(Buffer.from([0])).update(id).digest().copy(buf, i * 20 + 16, 0, 4);
    }
    if (done === 0) sample = ids.subarray(0, 16).toString('hex');
    writeSync(fd, buf);
  }
  closeSync(fd);
  return sample;
}

/** Format 2: header "LNTSRPL2" || tag key (32) || FNV-1a; records tag (16) || keep-until (8) || FNV-1a. Returns one id (hex). */
function writeFormat2(path: string, count: number): string {
  const key = randomBytes(32);
  const header = Buffer.alloc(44);
  Buffer.from('LNTSRPL2').copy(header);
  key.copy(header, 8);
  header.writeUInt32BE(fnv1a(header, 0, 40), 40);
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  const until = Math.floor(Date.now() / 1000) + 30 * 86_400;
  let sample = '';
  const batch = 50_000;
  for (let done = 0; done < count; done += batch) {
    const n = Math.min(batch, count - done);
    const buf = Buffer.alloc(n * 28);
    const ids = randomBytes(n * 16);
    for (let i = 0; i < n; i++) {
      const o = i * 28;
      createHmac('sha256', key).update('lintas/v1 replay tag').update(Buffer.from([0])).update(ids.subarray(i * 16, i * 16 + 16)).digest().copy(buf, o, 0, 16);
      buf.writeUInt32BE(0, o + 16);
      buf.writeUInt32BE(until, o + 20);
      buf.writeUInt32BE(fnv1a(buf, o, o + 24), o + 24);
    }
    if (done === 0) sample = ids.subarray(0, 16).toString('hex');
    writeSync(fd, buf);
  }
  closeSync(fd);
  return sample;
}

function fnv1a(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

async function child(path: string, src: string, sample: string): Promise<void> {
  const { FileReplayGuard } = (await import(pathToFileURL(join(src, 'transports/file-replay-guard.ts')).href)) as typeof import('../src/transports/file-replay-guard.js');
  const { cryptoReady } = (await import(pathToFileURL(join(src, 'crypto/sodium.ts')).href)) as typeof import('../src/crypto/sodium.js');
  const { statSync } = await import('node:fs');
  await cryptoReady();
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const before = process.memoryUsage();
  const started = performance.now();
  const guard = await FileReplayGuard.open(path);
  const openMs = performance.now() - started;
  gc();
  const after = process.memoryUsage();
  if (!(await guard.has(Buffer.from(sample, 'hex')))) throw new Error('the sample id is missing: the log was not read whole');
  await guard.close();
  const mib = (n: number): number => n / 1048576;
  process.stdout.write(JSON.stringify({ openMs, rssMiB: mib(after.rss - before.rss), heapMiB: mib(after.heapUsed - before.heapUsed), fileMiB: mib(statSync(path).size) }));
}
