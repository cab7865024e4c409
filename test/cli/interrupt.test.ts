/**
 * Ctrl-C and SIGTERM in the middle of long commands, as processes with real files (issue 13,
 * "Interrupted work leaves nothing behind"): each command is killed once its temporary file or
 * folder exists and is being written, and must then remove every temporary file and folder
 * (decrypted plaintext included), print one line saying what was interrupted, and exit 130
 * (SIGINT) or 143 (SIGTERM).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readdir, stat, watch } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCli, expectOk, twoAgencies, workFolder, type Cli } from './cli-kit.js';

const MiB = 1024 * 1024;
/** Large enough that every command is still writing when it is killed. */
const BYTES = 256 * MiB;

let script: string;
let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polri: Cli;
let big: string;
let envelope: string;
const w = (name: string): string => join(work.dir, name);

beforeAll(async () => {
  script = await buildCli();
  work = await workFolder('interrupt');
  ({ bin, polri } = await twoAgencies(script, work.dir));
  big = w('capture.bin');
  const h = await open(big, 'w');
  await h.truncate(BYTES);
  await h.close();
  envelope = w('capture.lintas');
  await expectOk(bin.run(['seal', big, '--to', 'polri', '--tlp', 'GREEN', '-o', envelope]));
}, 300_000);
afterAll(async () => {
  await work.remove();
});

/** A running `lintas` process, its output collected. */
function start(cli: Cli, args: string[], options: { stdin?: boolean; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [script, ...args, '--home', cli.home], {
    env: cli.env(options.env),
    cwd: work.dir,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  return { child, output: () => text };
}

/** Every entry under `dir`, recursively, relative to it. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map(String).sort();
}

/** Poll until `find` returns a file path that exists with at least one byte; fails after 2 minutes. */
async function whenWriting(find: () => Promise<string | undefined>, child: ChildProcess, output: () => string): Promise<string> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before it was interrupted:\n${output()}`);
    const path = await find();
    if (path !== undefined && ((await stat(path).catch(() => null))?.size ?? 0) > 0) return path;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no temporary file appeared:\n${output()}`);
}

async function interrupt(child: ChildProcess, signal: 'SIGINT' | 'SIGTERM'): Promise<number | null> {
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill(signal);
  const [code] = await exited;
  return code;
}

/** The one line the CLI prints when interrupted. */
function interruptedLines(output: string): string[] {
  return output.split('\n').filter((l) => l.startsWith('lintas: interrupted'));
}

describe('interrupted commands leave nothing behind', () => {
  it('seal -o: SIGINT while the envelope is written removes the .part file and exits 130', async () => {
    const out = w('seal-out');
    await mkdir(out);
    // Sealing zeros is fast: the signal goes the moment the temporary file is created.
    const watcher = watch(out);
    const { child, output } = start(bin, ['seal', big, '--to', 'polri', '--tlp', 'GREEN', '-o', join(out, 'report.lintas')]);
    const exited = once(child, 'exit') as Promise<[number | null]>;
    for await (const event of watcher) {
      if (event.filename?.startsWith('.report.lintas.') && event.filename.endsWith('.part')) break;
    }
    child.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(130);
    expect(await tree(out)).toEqual([]);
    expect(interruptedLines(output())).toHaveLength(1);
    expect(interruptedLines(output())[0]).toMatch(/interrupted \(SIGINT\) while sealing capture\.bin to .*report\.lintas; removed 1 temporary file/);
  }, 180_000);

  it('seal from stdin: SIGTERM while stdin is copied removes the temporary copy and exits 143', async () => {
    const tmp = w('seal-tmp');
    const out = w('seal-stdin-out');
    await mkdir(tmp);
    await mkdir(out);
    const { child, output } = start(bin, ['seal', '--to', 'polri', '--tlp', 'GREEN', '-o', join(out, 'note.lintas')], { stdin: true, env: { TMPDIR: tmp } });
    child.stdin!.on('error', () => {});
    // Some of the text, and stdin left open: the copy is in progress when the signal comes.
    child.stdin!.write(Buffer.alloc(4 * MiB, 'courier arrives 07:40\n'));
    await whenWriting(async () => {
      const copy = (await tree(tmp)).find((f) => f.startsWith('lintas-stdin-'));
      return copy === undefined ? undefined : join(tmp, copy);
    }, child, output);
    expect(await interrupt(child, 'SIGTERM')).toBe(143);
    expect(await tree(tmp)).toEqual([]);
    expect(await tree(out)).toEqual([]);
    expect(interruptedLines(output())[0]).toMatch(/interrupted \(SIGTERM\) while sealing stdin/);
  }, 180_000);

  it('open -o: SIGINT while items are decrypted removes the unverified plaintext folder and exits 130', async () => {
    const out = w('open-out');
    await mkdir(out);
    const { child, output } = start(polri, ['open', envelope, '-o', out]);
    await whenWriting(async () => {
      const part = (await tree(out)).find((f) => /^\.lintas-open-[0-9a-f]+\/\d+$/.test(f));
      return part === undefined ? undefined : join(out, part);
    }, child, output);
    expect(await interrupt(child, 'SIGINT')).toBe(130);
    expect(await tree(out)).toEqual([]);
    expect(interruptedLines(output())[0]).toMatch(/interrupted \(SIGINT\) while opening .*capture\.lintas into .*open-out; removed 1 temporary file/);
  }, 180_000);

  it('send via a drop folder: SIGTERM mid-copy leaves nothing in the mailbox, not even in tmp/, and exits 143', async () => {
    const drop = w('drop-send');
    const { child, output } = start(bin, ['send', envelope, '--to', 'polri', '--via', `drop:${drop}`]);
    await whenWriting(async () => {
      const f = (await tree(drop)).find((e) => /\/tmp\/.+/.test(e));
      return f === undefined ? undefined : join(drop, f);
    }, child, output);
    expect(await interrupt(child, 'SIGTERM')).toBe(143);
    // The mailbox folders stay; no envelope, whole or partial, is in any of them.
    expect((await tree(drop)).filter((e) => /\/(tmp|new|cur)\/.+/.test(e))).toEqual([]);
    expect(interruptedLines(output())[0]).toMatch(/interrupted \(SIGTERM\) while sending .*capture\.lintas via drop:/);
  }, 180_000);

  it('receive: SIGINT while an envelope is taken in removes what was written of it, exits 130, and the envelope stays in the mailbox', async () => {
    const drop = w('drop-receive');
    const inbox = w('inbox');
    await expectOk(bin.run(['send', envelope, '--to', 'polri', '--via', `drop:${drop}`]));
    const { child, output } = start(polri, ['receive', '--via', `drop:${drop}`, '-o', inbox]);
    await whenWriting(async () => {
      const f = (await tree(inbox)).find((e) => e.startsWith('.incoming-'));
      return f === undefined ? undefined : join(inbox, f);
    }, child, output);
    expect(await interrupt(child, 'SIGINT')).toBe(130);
    expect((await tree(inbox)).filter((e) => e.startsWith('.'))).toEqual([]);
    expect(interruptedLines(output())[0]).toMatch(/interrupted \(SIGINT\) while receiving from drop:/);
    // Not acknowledged: the envelope is still there (under its lease) and a later receive gets it.
    expect((await tree(drop)).filter((e) => /\/(new|cur)\/.+/.test(e))).toHaveLength(1);
  }, 180_000);
});
