/**
 * `lintas send`, `lintas receive` and `lintas relay start` through every shipped transport, as
 * processes: a drop folder, the HTTP relay (itself a `lintas relay start` process) and Redis
 * Streams (a private redis-server); replays and tampered envelopes in the mailbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { Cli, buildCli, expectOk, twoAgencies, waitForOutput, workFolder } from './cli-kit.js';
import { startRedisCluster, startRedisSentinel, startRedisServer, type TestRedisCluster, type TestRedisServer } from '../transports/redis-server.js';
import { hasRedisServer } from '../setup/gaps.js';

let script: string;
let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polri: Cli;
const w = (name: string): string => join(work.dir, name);

beforeAll(async () => {
  script = await buildCli();
  work = await workFolder('transport');
  ({ bin, polri } = await twoAgencies(script, work.dir));
});
afterAll(async () => {
  await work.remove();
});

async function sealTo(name: string, text: string): Promise<string> {
  const file = w(`${name}.lintas`);
  await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '--title', name, '-o', file], { input: text }));
  return file;
}

describe('drop folder', () => {
  it('send, receive into DIR/<envelope id>-<sealer key id>/, a replay refused (exit 5) and quarantined', async () => {
    const file = await sealTo('drop-report', 'via the drop folder');
    const sent = await bin.json(['send', file, '--to', 'polri', '--via', `drop:${w('drop')}`]);
    expect(sent.run.code).toBe(0);
    expect(sent.value.sent).toHaveLength(1);

    const got = await polri.json(['receive', '--via', `drop:${w('drop')}`, '-o', w('inbox')]);
    expect(got.run.code).toBe(0);
    expect(got.value.processed).toBe(1);
    const dir = got.value.received[0].savedTo as string;
    expect(await readFile(join(dir, 'message.txt'), 'utf8')).toBe('via the drop folder');
    expect(got.value.received[0].originator.verification).toBe('verified');

    // The same envelope again: a replay. It is refused, kept aside, and the mailbox is emptied.
    await expectOk(bin.run(['send', file, '--to', 'polri', '--via', `drop:${w('drop')}`]));
    const replay = await polri.json(['receive', '--via', `drop:${w('drop')}`, '-o', w('inbox')]);
    expect(replay.run.code).toBe(5);
    expect(replay.value.processed).toBe(0);
    expect(replay.value.rejected[0].code).toBe('ERR_REPLAY_DETECTED');
    expect((await readdir(w('inbox/rejected'))).some((f) => f.endsWith('.lintas'))).toBe(true);
    const empty = await polri.json(['receive', '--via', `drop:${w('drop')}`, '-o', w('inbox')]);
    expect(empty.run.code).toBe(0);
    expect(empty.value.processed + empty.value.rejected.length).toBe(0);
  });

  it('a tampered envelope in the mailbox is refused (exit 4) and nothing of it is saved', async () => {
    const file = await sealTo('tampered', 'secret that must not leak');
    const bytes = await readFile(file);
    bytes[bytes.length - 20]! ^= 0x40;
    await writeFile(w('tampered-copy.lintas'), bytes);
    // send refuses anything malformed, but a flipped payload bit still parses: it goes through.
    await expectOk(bin.run(['send', w('tampered-copy.lintas'), '--to', 'polri', '--via', `drop:${w('drop2')}`]));
    const r = await polri.json(['receive', '--via', `drop:${w('drop2')}`, '-o', w('inbox2')]);
    expect(r.run.code).toBe(4);
    expect(r.value.rejected[0].code).toBe('ERR_ENVELOPE_TAMPERED');
    const entries = await readdir(w('inbox2'));
    expect(entries).toEqual(['rejected']);
    expect(r.run.stdout).not.toContain('secret that must not leak');
    // Both refusals (the replay of the test before, this tampered envelope) are in the audit trail, with their codes.
    const audit = (await polri.json(['audit', 'show'])).value.logs[0].entries as { event: string; reason?: string; transport?: string }[];
    expect(audit.filter((e) => e.event === 'refused').map((e) => e.reason)).toEqual(['ERR_REPLAY_DETECTED', 'ERR_ENVELOPE_TAMPERED']);
    expect(audit.filter((e) => e.event === 'refused').map((e) => e.transport)).toEqual([`drop:${w('drop')}`, `drop:${w('drop2')}`]);
  });

  it('send refuses a file that is not an envelope before anything leaves (exit 7)', async () => {
    await writeFile(w('not-an-envelope.txt'), 'plain text');
    const r = await bin.run(['send', w('not-an-envelope.txt'), '--to', 'polri', '--via', `drop:${w('drop3')}`]);
    expect(r.code).toBe(7);
    expect(await readdir(w('drop3')).catch(() => [])).toEqual([]);
  });
});

describe('HTTP relay', () => {
  it('relay start serves until SIGTERM; send and receive --follow go through it in real time', async () => {
    await writeFile(w('bin-allowed.card'), await readFile(w('bin.card')));
    const relay = bin.spawn(['relay', 'start', '--dir', w('relay-store'), '--allow-card', w('bin-allowed.card'), '--json']);
    try {
      const printed = await waitForOutput(relay, /"url": "http:\/\/127\.0\.0\.1:\d+"/);
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(printed)![0];

      const follower = polri.spawn(['receive', '--via', url, '--follow', '--json', '-o', w('relay-inbox')]);
      try {
        await waitForOutput(follower, /Waiting for envelopes/);
        const file = await sealTo('relay-report', 'through the relay');
        await expectOk(bin.run(['send', file, '--to', 'polri', '--via', url]));
        const line = await waitForOutput(follower, /\{"bundleId".*\}\n/);
        const received = JSON.parse(line) as { title: string; savedTo: string };
        expect(received.title).toBe('relay-report');
        expect(await readFile(join(received.savedTo, 'message.txt'), 'utf8')).toBe('through the relay');
      } finally {
        follower.kill('SIGINT');
        const [code] = (await once(follower, 'exit')) as [number | null];
        expect(code).toBe(0);
      }

      // A sender the relay does not allow is refused by the relay itself.
      const stranger = new Cli(script, w('stranger-home'));
      await expectOk(stranger.run(['identity', 'create', 'anon', '--org', 'Unknown', '--country', 'MY']));
      await expectOk(stranger.run(['contact', 'import', w('polri.card'), '--name', 'polri']));
      await expectOk(stranger.run(['seal', '--to', 'polri', '--tlp', 'CLEAR', '-o', w('stranger.lintas')], { input: 'spam' }));
      const refused = await stranger.run(['send', w('stranger.lintas'), '--to', 'polri', '--via', url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('ERR_RELAY_SENDER_NOT_ALLOWED');
    } finally {
      relay.kill('SIGTERM');
      const [code] = (await once(relay, 'exit')) as [number | null];
      expect(code).toBe(0);
    }
  });
});

describe.skipIf(!hasRedisServer(import.meta.url))('Redis Streams', () => {
  let redis: TestRedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('send and receive through redis://', async () => {
    const file = await sealTo('redis-report', 'through redis');
    await expectOk(bin.run(['send', file, '--to', 'polri', '--via', redis.url]));
    const got = await polri.json(['receive', '--via', redis.url, '-o', w('redis-inbox')]);
    expect(got.run.code).toBe(0);
    expect(got.value.processed).toBe(1);
    expect(await readFile(join(got.value.received[0].savedTo, 'message.txt'), 'utf8')).toBe('through redis');
  });

  it('send and receive through redis+cluster://, on per-sender streams', async () => {
    const cluster: TestRedisCluster = await startRedisCluster();
    try {
      const via = `redis+cluster://${cluster.nodes.join(',')}`;
      const file = await sealTo('cluster-report', 'through a cluster');
      await expectOk(bin.run(['send', file, '--to', 'polri', '--via', `${via}?sender=bin`]));
      const got = await polri.json(['receive', '--via', `${via}?senders=bin`, '-o', w('cluster-inbox')]);
      expect(got.run.code).toBe(0);
      expect(got.value.processed).toBe(1);
      expect(await readFile(join(got.value.received[0].savedTo, 'message.txt'), 'utf8')).toBe('through a cluster');
    } finally {
      await cluster.stop();
    }
  });

  it('send and receive through redis+sentinel://', async () => {
    const sentinel = await startRedisSentinel(Number(new URL(redis.url).port));
    try {
      const via = `redis+sentinel://${new URL(sentinel.url).host}/mymaster`;
      const file = await sealTo('sentinel-report', 'through sentinel');
      await expectOk(bin.run(['send', file, '--to', 'polri', '--via', via]));
      const got = await polri.json(['receive', '--via', via, '-o', w('sentinel-inbox')]);
      expect(got.run.code).toBe(0);
      expect(got.value.processed).toBe(1);
      expect(await readFile(join(got.value.received[0].savedTo, 'message.txt'), 'utf8')).toBe('through sentinel');
    } finally {
      await sentinel.stop();
    }
  });

  it('refuses a Redis without AOF (ERR_REDIS_UNSAFE_CONFIG) unless ?accept-risk=loss-on-restart', async () => {
    const rdbOnly = await startRedisServer(['--appendonly', 'no']);
    try {
      const file = await sealTo('redis-rdb', 'x');
      const refused = await bin.run(['send', file, '--to', 'polri', '--via', rdbOnly.url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('ERR_REDIS_UNSAFE_CONFIG');
      await expectOk(bin.run(['send', file, '--to', 'polri', '--via', `${rdbOnly.url}?accept-risk=loss-on-restart`]));
    } finally {
      await rdbOnly.stop();
    }
  });

  it('a malformed Redis URL or option is a usage error (exit 2)', async () => {
    const file = await sealTo('redis-bad-url', 'x');
    for (const via of ['redis+cluster://h1', 'redis+sentinel://127.0.0.1:26379', `${redis.url}?accept-risk=loss-of-nothing`, `${redis.url}?mode=fast`]) {
      const r = await bin.run(['send', file, '--to', 'polri', '--via', via]);
      expect(r.code, via).toBe(2);
    }
  });

  it('an unreachable Redis is a clear transport error (exit 1)', async () => {
    const file = await sealTo('redis-down', 'x');
    const r = await bin.run(['send', file, '--to', 'polri', '--via', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_TRANSPORT_UNAVAILABLE');
  });

  it('a Redis password holding "/" and "@" reaches the server as parsed and is never printed', async () => {
    const guarded = await startRedisServer(['--requirepass', 'se/cr@et']);
    try {
      const via = `redis://default:se/cr@et@${new URL(guarded.url).host}`;
      const file = await sealTo('redis-secret', 'behind a password');
      const sent = await bin.run(['send', file, '--to', 'polri', '--via', via]);
      expect(sent.code, sent.stderr).toBe(0);
      const got = await polri.json(['receive', '--via', via, '-o', w('redis-secret-inbox')]);
      expect(await readFile(join(got.value.received[0].savedTo, 'message.txt'), 'utf8')).toBe('behind a password');
      const down = await bin.run(['send', file, '--to', 'polri', '--via', 'redis://desk:se/cr@et@127.0.0.1:1']);
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('redis://desk:***@127.0.0.1:1');
      const bad = await bin.run(['send', file, '--to', 'polri', '--via', `${via}?mode=fast`]);
      expect(bad.code).toBe(2);
      for (const r of [sent, got.run, down, bad]) {
        expect(r.stdout + r.stderr).not.toContain('se/cr');
        expect(r.stdout + r.stderr).not.toContain('cr@et');
      }
    } finally {
      await guarded.stop();
    }
  });
});
