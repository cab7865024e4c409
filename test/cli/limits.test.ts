/**
 * Transport size limits as a user meets them (issue 13, "Transport limits that a user can see
 * and set"): a drop folder's and Redis's limit is checked from the file size before anything
 * else is done, and raised with --max-envelope; a relay's limit is its operator's
 * (`relay start --max-envelope`) and is reported as ERR_TRANSPORT_ENVELOPE_TOO_LARGE with the
 * limit, never as an unreachable relay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { Cli, buildCli, expectOk, twoAgencies, waitForOutput, workFolder } from './cli-kit.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

let script: string;
let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polri: Cli;
let small: string;
let threeMiB: string;
const w = (name: string): string => join(work.dir, name);

beforeAll(async () => {
  script = await buildCli();
  work = await workFolder('limits');
  ({ bin, polri } = await twoAgencies(script, work.dir));
  small = w('small.lintas');
  await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '--no-padding', '-o', small], { input: 'within every limit' }));
  const payload = w('three.bin');
  const h = await open(payload, 'w');
  await h.truncate(3 * MiB);
  await h.close();
  threeMiB = w('three.lintas');
  await expectOk(bin.run(['seal', payload, '--to', 'polri', '--tlp', 'GREEN', '-o', threeMiB]));
});
afterAll(async () => {
  await work.remove();
});

/** A well-formed envelope header followed by zeros up to `size` bytes (sparse). */
async function hugeEnvelope(name: string, size: number): Promise<string> {
  const path = w(name);
  await copyFile(small, path);
  const h = await open(path, 'r+');
  await h.truncate(size);
  await h.close();
  return path;
}

describe('drop folder and Redis: the sender\'s limit, checked from the file size first', () => {
  it('a 3 GiB envelope is refused by the drop folder\'s default 1 GiB limit before the key ring is even opened', async () => {
    const huge = await hugeEnvelope('huge.lintas', 3 * GiB);
    // No passphrase at all: had the command read the key ring (or the file) first, it would fail on that.
    const noPassphrase = new Cli(script, bin.home, null);
    const r = await noPassphrase.json(['send', huge, '--to', 'polri', '--via', `drop:${w('drop')}`]);
    expect(r.value.error.code).toBe('ERR_TRANSPORT_ENVELOPE_TOO_LARGE');
    expect(r.value.error.message).toContain('1073741824 bytes');
    expect(r.value.error.message).toContain('--max-envelope');
    expect(r.value.error.message).not.toMatch(/split/i);
    expect(r.run.code).toBe(1);
    expect(await readdir(work.dir)).not.toContain('drop');
  });

  it('--max-envelope lowers and raises the limit', async () => {
    const refused = await bin.json(['send', threeMiB, '--to', 'polri', '--via', `drop:${w('drop2')}`, '--max-envelope', '1MiB']);
    expect(refused.value.error.code).toBe('ERR_TRANSPORT_ENVELOPE_TOO_LARGE');
    expect(refused.value.error.message).toContain('1048576 bytes');
    await expectOk(bin.run(['send', threeMiB, '--to', 'polri', '--via', `drop:${w('drop2')}`, '--max-envelope', '4MiB']));
    const got = await polri.json(['receive', '--via', `drop:${w('drop2')}`, '-o', w('inbox2')]);
    expect(got.value.processed).toBe(1);
  });

  it('Redis: the limit is checked before connecting', async () => {
    // Nothing listens on port 1: a connection attempt would fail with ERR_TRANSPORT_UNAVAILABLE.
    const r = await bin.json(['send', threeMiB, '--to', 'polri', '--via', 'redis://127.0.0.1:1', '--max-envelope', '1MiB']);
    expect(r.value.error.code).toBe('ERR_TRANSPORT_ENVELOPE_TOO_LARGE');
    expect(r.value.error.message).toContain('Redis');
  });

  it('a malformed --max-envelope is a usage error', async () => {
    for (const bad of ['lots', '0', '-5MiB', '1.5XB']) {
      const r = await bin.run(['send', small, '--to', 'polri', '--via', `drop:${w('drop3')}`, '--max-envelope', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain('--max-envelope');
    }
  });
});

describe('relay: the operator\'s limit', () => {
  it('relay start --max-envelope sets it; an envelope above it is ERR_TRANSPORT_ENVELOPE_TOO_LARGE with the limit, one below goes through', async () => {
    const relay = bin.spawn(['relay', 'start', '--dir', w('relay-store'), '--max-envelope', '1MiB', '--json']);
    try {
      const printed = await waitForOutput(relay, /"maxEnvelopeBytes": \d+/);
      expect(printed).toBe('"maxEnvelopeBytes": 1048576');
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(await waitForOutput(relay, /"url": "http:\/\/127\.0\.0\.1:\d+"/))![0];
      const refused = await bin.json(['send', threeMiB, '--to', 'polri', '--via', url]);
      expect(refused.value.error.code).toBe('ERR_TRANSPORT_ENVELOPE_TOO_LARGE');
      expect(refused.value.error.message).toContain('1048576 bytes');
      expect(refused.value.error.message).toContain('relay start --max-envelope');
      expect(refused.value.error.message).not.toMatch(/reach|split/i);
      expect(refused.run.code).toBe(1);
      await expectOk(bin.run(['send', small, '--to', 'polri', '--via', url]));
    } finally {
      relay.kill('SIGTERM');
      await once(relay, 'exit');
    }
  });
});
