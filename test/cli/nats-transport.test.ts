/**
 * `lintas send` and `lintas receive` through NATS JetStream (`--via nats://`), as processes,
 * against a private nats-server: plain, with the credentials and inbox prefix of the documented
 * permission layout, and the usage and durability errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cli, buildCli, expectOk, twoAgencies, workFolder } from './cli-kit.js';
import { startNatsServer, type TestNatsServer } from '../transports/nats-server.js';
import { hasNatsServer } from '../setup/gaps.js';

let script: string;
let work: { dir: string; remove: () => Promise<void> };
let bin: Cli;
let polri: Cli;
const w = (name: string): string => join(work.dir, name);

async function sealTo(name: string, text: string): Promise<string> {
  const file = w(`${name}.lintas`);
  await expectOk(bin.run(['seal', '--to', 'polri', '--tlp', 'GREEN', '--title', name, '-o', file], { input: text }));
  return file;
}

describe.skipIf(!hasNatsServer(import.meta.url))('NATS JetStream through the CLI', () => {
  let nats: TestNatsServer;
  beforeAll(async () => {
    script = await buildCli();
    work = await workFolder('nats-transport');
    ({ bin, polri } = await twoAgencies(script, work.dir));
    nats = await startNatsServer('authorization { users: [ { user: lintas, password: "s3cret" } ] }');
  });
  afterAll(async () => {
    await nats?.stop();
    await work?.remove();
  });
  const via = (query = ''): string => `nats://lintas:s3cret@127.0.0.1:${nats.port}${query}`;

  it('send and receive through nats://USER:PASS@HOST:PORT; a replay is refused', async () => {
    const file = await sealTo('nats-report', 'through nats');
    const sent = await bin.json(['send', file, '--to', 'polri', '--via', via()]);
    expect(sent.run.code).toBe(0);
    expect(sent.run.stdout + sent.run.stderr).not.toContain('s3cret');
    const got = await polri.json(['receive', '--via', via(), '-o', w('nats-inbox')]);
    expect(got.run.code).toBe(0);
    expect(got.value.processed).toBe(1);
    expect(await readFile(join(got.value.received[0].savedTo, 'message.txt'), 'utf8')).toBe('through nats');
    await expectOk(bin.run(['send', file, '--to', 'polri', '--via', via()]));
    const replay = await polri.json(['receive', '--via', via(), '-o', w('nats-inbox')]);
    expect(replay.run.code).toBe(5);
    expect(replay.value.rejected[0].code).toBe('ERR_REPLAY_DETECTED');
  });

  it('uses the stream, subject prefix and inbox prefix named in the URL', async () => {
    const q = '?stream=AGENCY&prefix=agency.x&inbox-prefix=_INBOX_polri';
    const file = await sealTo('nats-named', 'named stream');
    await expectOk(bin.run(['send', file, '--to', 'polri', '--via', via(q)]));
    const other = await polri.json(['receive', '--via', via(), '-o', w('nats-other')]);
    expect(other.value.processed).toBe(0); // not in the default stream
    const got = await polri.json(['receive', '--via', via(q), '-o', w('nats-named')]);
    expect(got.value.processed).toBe(1);
  });

  it('a malformed NATS URL or option is a usage error (exit 2); wrong credentials (ERR_NATS_AUTH_FAILED) and an unreachable server are exit 1', async () => {
    const file = await sealTo('nats-bad', 'x');
    for (const v of ['nats://h1', via('?replicas=9'), via('?mode=fast'), via('?accept-risk=loss-of-nothing'), via('?stream=a.b')]) {
      const r = await bin.run(['send', file, '--to', 'polri', '--via', v]);
      expect(r.code, v).toBe(2);
    }
    // A password with an unencoded "?" or a bad "%" escape: a usage error that repeats none of it.
    for (const v of [`nats://lintas:pa?ss-s3cret@127.0.0.1:${nats.port}`, `nats://lintas:1234?s3cret@127.0.0.1:${nats.port}`, `nats://lintas:s3cret%zz@127.0.0.1:${nats.port}`]) {
      const r = await bin.run(['send', file, '--to', 'polri', '--via', v]);
      expect(r.code, v).toBe(2);
      expect(r.stderr).not.toContain('s3cret');
      expect(r.stderr).toMatch(/percent-encode/);
    }
    const denied = await bin.run(['send', file, '--to', 'polri', '--via', `nats://lintas:wrong@127.0.0.1:${nats.port}`]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('ERR_NATS_AUTH_FAILED');
    expect(denied.stderr).not.toContain('wrong@');
    const down = await bin.run(['send', file, '--to', 'polri', '--via', 'nats://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('ERR_TRANSPORT_UNAVAILABLE');
  });

  it('refuses a memory-backed stream (ERR_NATS_UNSAFE_CONFIG) unless ?accept-risk=loss-on-restart', async () => {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: nats.url, user: 'lintas', pass: 's3cret' });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'MEM', subjects: ['mem.mailbox.*'], retention: 'workqueue' as never, storage: 'memory' as never, discard: 'new' as never });
    await nc.close();
    const file = await sealTo('nats-mem', 'x');
    const refused = await bin.run(['send', file, '--to', 'polri', '--via', via('?stream=MEM&prefix=mem')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ERR_NATS_UNSAFE_CONFIG');
    await expectOk(bin.run(['send', file, '--to', 'polri', '--via', via('?stream=MEM&prefix=mem&accept-risk=loss-on-restart')]));
  });
});
