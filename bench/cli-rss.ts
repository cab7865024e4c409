/**
 * Peak RSS (and wall time) of each `lintas` command on one large file, each in a process of its
 * own (docs/PERFORMANCE.md, "The CLI on large files"): seal from a file and from stdin, inspect,
 * open to a folder and from stdin, send and receive through a drop folder and through a relay
 * process. The file is sparse with a few random blocks; its size is LINTAS_BENCH_CLI_BYTES
 * (default 2 GiB). Both key rings are at the default Argon2id cost (64 MiB), as the CLI creates
 * them, so every figure includes a real unlock. Work files go to $TMPDIR (use a RAM disk to leave
 * the disk out of the times). The load average is printed with the table.
 *
 *   npm run bench:cli
 *   LINTAS_BENCH_CLI_BYTES=3221225472 TMPDIR=/dev/shm npm run bench:cli
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { loadavg } from 'node:os';
import { cp, mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Cli, buildCli, expectOk, twoAgencies, workFolder } from '../test/cli/cli-kit.js';
import { runMeasured, startMeasured, type MeasuredRun } from '../test/cli/rss-kit.js';
import { MiB, fmt, sizeLabel, table } from './measure.js';

const BYTES = Number(process.env.LINTAS_BENCH_CLI_BYTES ?? 2 * 1024 * MiB);

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: MiB })) hash.update(c as Buffer);
  return hash.digest('hex');
}

const rows: string[][] = [];
async function measure(label: string, cli: Cli, args: string[], options: { stdinFile?: string } = {}): Promise<MeasuredRun> {
  const start = performance.now();
  const run = await runMeasured(cli, args, options);
  const seconds = (performance.now() - start) / 1000;
  if (run.code !== 0) throw new Error(`${label}: exit ${run.code}\n${run.stderr}`);
  rows.push([label, fmt(run.peakRss / MiB), fmt(seconds, 1)]);
  process.stderr.write(`${label}: ${fmt(run.peakRss / MiB)} MiB, ${fmt(seconds, 1)} s\n`);
  return run;
}

const script = await buildCli();
const work = await workFolder('bench-rss');
try {
  const { bin, polri } = await twoAgencies(script, work.dir);
  // twoAgencies makes floor-cost key rings (fast tests); users have the default cost.
  await Promise.all([expectOk(bin.run(['keyring', 'rekey'])), expectOk(polri.run(['keyring', 'rekey']))]);
  const loadAtStart = loadavg();
  const w = (name: string): string => join(work.dir, name);
  const source = w('capture.bin');
  const h = await open(source, 'w');
  await h.truncate(BYTES);
  for (const at of [0, Math.floor(BYTES / 2), BYTES - 65536]) await h.write(randomBytes(65536), 0, 65536, at);
  await h.close();
  const expected = await sha256File(source);
  // Each copy is compared with the original, then removed: the disk holds a few copies at most.
  const check = async (path: string): Promise<void> => {
    if ((await sha256File(path)) !== expected) throw new Error(`${path} differs from the original`);
    await rm(path);
  };

  const envelope = w('capture.lintas');
  await measure('seal FILE -o', bin, ['seal', source, '--to', 'polri', '--tlp', 'GREEN', '-o', envelope]);
  await measure('inspect FILE', polri, ['inspect', envelope]);
  await measure('open FILE -o DIR', polri, ['open', envelope, '-o', w('opened')]);
  await check(w('opened/capture.bin'));
  await measure('seal < stdin -o', bin, ['seal', '--to', 'polri', '--tlp', 'GREEN', '-o', w('stdin.lintas')], { stdinFile: source });
  await measure('open - -o DIR < stdin', polri, ['open', '-', '-o', w('opened-stdin')], { stdinFile: w('stdin.lintas') });
  await check(w('opened-stdin/message.bin'));
  await rm(w('stdin.lintas'));

  // The relay run receives the same envelope again: with a copy of polri's home made now, its
  // replay log has not seen it yet.
  await cp(polri.home, w('polri-home-2'), { recursive: true });
  const polriAgain = new Cli(script, w('polri-home-2'));

  const drop = `drop:${w('drop')}`;
  const limit = `${Math.ceil((await stat(envelope)).size / MiB) + 1}MiB`;
  await measure('send via drop:', bin, ['send', envelope, '--to', 'polri', '--via', drop, '--max-envelope', limit]);
  await measure('receive via drop:', polri, ['receive', '--via', drop, '-o', w('inbox-drop')]);

  await mkdir(w('relay-store'));
  const relay = await startMeasured(bin, ['relay', 'start', '--dir', w('relay-store'), '--max-envelope', limit, '--max-sender-storage', limit, '--json']);
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    relay.child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+/.exec(text);
      if (m) resolve(m[0]);
    });
    relay.child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
  try {
    await measure('send via relay', bin, ['send', envelope, '--to', 'polri', '--via', url]);
    const received = await measure('receive via relay', polriAgain, ['receive', '--via', url, '-o', w('inbox-relay'), '--json']);
    await check(join((JSON.parse(received.stdout) as { received: { savedTo: string }[] }).received[0]!.savedTo, 'capture.bin'));
  } finally {
    relay.child.kill('SIGTERM');
  }
  const relayRun = await relay.done;
  rows.push(['relay start (whole run)', fmt(relayRun.peakRss / MiB), '']);

  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(', ');
  console.log(`\n### Peak RSS of the CLI, one ${sizeLabel(BYTES)} file, each command in its own process\n`);
  console.log(`Load average at the start: ${load(loadAtStart)}; at the end: ${load(loadavg())}\n`);
  console.log(table(['Command', 'Peak RSS (MiB)', 'Wall time (s)'], rows));
} finally {
  await work.remove();
}
