/**
 * The terminal side of the CLI, with fake streams: the passphrase prompt puts the terminal in raw
 * mode and never echoes what is typed; the progress bar draws only on a terminal.
 */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { readPassphrase, type CliIo } from '../../src/cli/terminal.js';
import { ProgressBar } from '../../src/cli/progress.js';

class FakeTty extends EventEmitter {
  isTTY = true;
  rawModes: boolean[] = [];
  setRawMode(on: boolean): this {
    this.rawModes.push(on);
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
}

function capture(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const parts: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      parts.push(Buffer.from(chunk));
      done();
    },
  }) as Writable & { isTTY: boolean; text: () => string };
  w.isTTY = isTTY;
  w.text = () => Buffer.concat(parts).toString();
  return w;
}

describe('passphrase prompt', () => {
  it('reads a line in raw mode without echoing it, handling backspace', async () => {
    const stdin = new FakeTty();
    const stderr = capture(true);
    const io: CliIo = { stdin: stdin as unknown as NodeJS.ReadStream, stdout: capture(false), stderr, env: {} };
    const answer = readPassphrase(io, {}, 'Key ring passphrase: ');
    stdin.emit('data', Buffer.from('hunter2x'));
    stdin.emit('data', Buffer.from('\u007fX secret\r'));
    expect(await answer).toBe('hunter2X secret');
    expect(stdin.rawModes).toEqual([true, false]);
    expect(stderr.text()).toBe('Key ring passphrase: \n');
  });

  it('Ctrl-C cancels with ERR_USAGE_CANCELLED and restores the terminal', async () => {
    const stdin = new FakeTty();
    const io: CliIo = { stdin: stdin as unknown as NodeJS.ReadStream, stdout: capture(false), stderr: capture(true), env: {} };
    const answer = readPassphrase(io, {}, 'Passphrase: ');
    stdin.emit('data', Buffer.from('abc\u0003'));
    await expect(answer).rejects.toMatchObject({ code: 'ERR_USAGE_CANCELLED' });
    expect(stdin.rawModes).toEqual([true, false]);
  });

  it('never prompts when stdin is not a terminal', async () => {
    const io: CliIo = { stdin: new PassThrough(), stdout: capture(false), stderr: capture(false), env: {} };
    await expect(readPassphrase(io, {}, 'Passphrase: ')).rejects.toMatchObject({ code: 'ERR_USAGE_NO_PASSPHRASE' });
    const fromEnv: CliIo = { ...io, env: { LINTAS_PASSPHRASE: 'from the environment' } };
    expect(await readPassphrase(fromEnv, {}, 'Passphrase: ')).toBe('from the environment');
  });
});

describe('progress bar', () => {
  it('draws on a terminal and ends the line', () => {
    const stderr = capture(true);
    const bar = new ProgressBar({ stdin: new PassThrough(), stdout: capture(false), stderr, env: {} }, 'Sealing', 200);
    bar.update(50);
    bar.update(100);
    bar.update(200);
    bar.finish();
    const text = stderr.text();
    expect(text).toContain('Sealing [');
    expect(text).toContain('25%');
    expect(text).toContain('100%');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('never shows more than 100% when more bytes pass than the total (the envelope around the items)', () => {
    const stderr = capture(true);
    const bar = new ProgressBar({ stdin: new PassThrough(), stdout: capture(false), stderr, env: {} }, 'Sealing', 200);
    bar.update(200);
    bar.update(350);
    bar.finish();
    expect(stderr.text()).toContain('100%');
    expect(stderr.text()).not.toMatch(/1[0-9][1-9]%|[2-9]\d\d%/);
  });

  it('names each phase (hashing, then sealing) and shows the rate and the time left', () => {
    const stderr = capture(true);
    let now = 0;
    const MiB = 1024 * 1024;
    const bar = new ProgressBar({ stdin: new PassThrough(), stdout: capture(false), stderr, env: {} }, 'Hashing report.pdf', 100 * MiB, () => now);
    now = 1000;
    bar.update(25 * MiB);
    expect(stderr.text()).toContain('Hashing report.pdf [');
    expect(stderr.text()).toContain('25.0 MiB/s');
    expect(stderr.text()).toContain('ETA 0:03');
    bar.phase('Sealing for 1 recipient', 100 * MiB);
    now = 3000;
    bar.update(50 * MiB);
    bar.finish();
    expect(stderr.text()).toContain('Sealing for 1 recipient [');
    expect(stderr.text()).toContain('ETA 0:02');
  });

  it('writes nothing when stderr is a pipe or a file', () => {
    const stderr = capture(false);
    const bar = new ProgressBar({ stdin: new PassThrough(), stdout: capture(false), stderr, env: {} }, 'Sealing', 200);
    bar.update(100);
    bar.finish();
    expect(stderr.text()).toBe('');
  });
});
