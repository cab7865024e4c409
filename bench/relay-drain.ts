/**
 * Draining a relay mailbox with a backlog (issue 15, item 5): how many envelopes a second one
 * receiver leases, fetches and acknowledges, and how long one list and one lease take, at each
 * backlog size. Also the round trip of another mailbox's owner while 20 long polls wait.
 *
 *   npx tsx bench/relay-drain.ts                                  1k, 10k and 50k, this version
 *   npx tsx bench/relay-drain.ts --backlogs 1000,10000,50000
 *   npx tsx bench/relay-drain.ts --baseline /tmp/base/src         also the version in that src/
 *                                                                 (e.g. `git archive main src | tar -x -C /tmp/base`)
 *   npx tsx bench/relay-drain.ts --drain 2000                     envelopes drained per size (default 2000)
 *   npx tsx bench/relay-drain.ts --receivers 4                    receive loops draining together (default 1)
 *   npx tsx bench/relay-drain.ts --fetch global                   the receivers' fetch: global (undici), node
 *                                                                 (lintas/node's nodeHttpFetch), default both in turn
 *
 *   npx tsx bench/relay-drain.ts --profile-relay /tmp/prof        the relay process writes a CPU profile there
 *
 * The relay runs in a process of its own (bench/relay-drain-server.ts), as it does in a
 * deployment, so relay and receiver each have a thread. The backlog is written straight into
 * the relay's folder (one 256-byte file per envelope, named as the relay names them) before the
 * relay starts. Also measured: what one signed request costs the client (building and signing
 * the request message). Prints; asserts nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';

const { values: args } = parseArgs({
  options: { backlogs: { type: 'string' }, fetch: { type: 'string' }, baseline: { type: 'string' }, drain: { type: 'string' }, receivers: { type: 'string' }, 'profile-relay': { type: 'string' } },
});
const receiverCount = Number(args.receivers ?? 1);
const backlogs = (args.backlogs ?? '1000,10000,50000').split(',').map(Number);
const drain = Number(args.drain ?? 2000);
const self = fileURLToPath(import.meta.url);
const runs: [string, string][] = [['current', resolve(self, '../../src')]];
if (args.baseline) runs.unshift(['baseline', resolve(args.baseline)]);

console.log(`relay drain (node ${process.version}); ${drain} envelopes drained per backlog by ${receiverCount} receive loop(s)`);
await signedRequestCost();
type Lib = typeof import('../src/index.js');
type NodeLib = { nodeHttpFetch?: typeof import('../src/node.js').nodeHttpFetch };
/** Which `fetch` the receivers use: the global one (undici), lintas/node's nodeHttpFetch, or both in turn. */
const fetches = (args.fetch ?? 'global,node').split(',');
if (fetches.some((f) => f !== 'global' && f !== 'node')) throw new Error('--fetch takes global, node or both (global,node)');
const libs = (
  await Promise.all(
    runs.map(async ([name, src]) => {
      const lib = (await import(pathToFileURL(join(src, 'index.ts')).href)) as Lib;
      const node = (await import(pathToFileURL(join(src, 'node.ts')).href)) as NodeLib;
      return fetches
        .filter((f) => f === 'global' || node.nodeHttpFetch)
        .map((f) => ({ name: f === 'global' ? name : `${name}/node`, src, lib, makeFetch: f === 'node' ? node.nodeHttpFetch! : null }));
    }),
  )
).flat();
const body = randomBytes(256);
let sequence = 0;
/** Write `count` envelope files into the mailbox folder `box`, named as the relay names them. */
function fill(box: string, count: number): void {
  const t0 = Date.now() - count;
  for (let i = 0; i < count; i++) {
    sequence++;
    writeFileSync(join(box, `${String(t0 + i).padStart(15, '0')}-${String(sequence % 1e9).padStart(9, '0')}-${randomBytes(8).toString('hex')}`), body);
  }
}

// Versions interleaved per backlog, on one folder topped up between runs, so both see the same backlog and the same machine load.
for (const backlog of backlogs) {
  const dir = mkdtempSync(join(tmpdir(), 'lintas-bench-relay-'));
  try {
    const owner = (await libs[0]!.lib.generateIdentityKeys()).signing;
    const mailbox = libs[0]!.lib.mailboxId(owner.publicKey);
    const box = join(dir, 'mailboxes', mailbox);
    mkdirSync(box, { recursive: true });
    fill(box, backlog);
    for (const { name, src, lib, makeFetch } of libs) {
      const fetch = makeFetch ? makeFetch() : undefined;
      const fetchOption = fetch ? { fetch } : {};
      execFileSync('sync'); // write back the fill first, so no version is measured during another's writeback
      const relay = await startRelayProcess(src, dir);
      const receiver = new lib.RelayTransport({ url: relay.url, mailboxKeys: [owner], ...fetchOption });
      await receiver.list(mailbox); // opens the session too
      let t = performance.now();
      const listed = (await receiver.list(mailbox)).length;
      const listMs = performance.now() - t;
      let n = 0;
      const loops = Array.from({ length: receiverCount }, () => new lib.RelayTransport({ url: relay.url, mailboxKeys: [owner], ...fetchOption }));
      const relayCpu = await relay.cpuUs();
      const ownCpu = process.cpuUsage();
      t = performance.now();
      await Promise.all(
        loops.map(async (loop) => {
          for await (const d of loop.receive(mailbox, { untilEmpty: true })) {
            if (n >= drain) break;
            n++;
            await d.ack();
          }
        }),
      );
      const seconds = (performance.now() - t) / 1000;
      await Promise.all(loops.map((loop) => loop.close()));
      const relayUs = (await relay.cpuUs()) - relayCpu;
      const own = process.cpuUsage(ownCpu);
      console.log(
        `${name.padEnd(13)} backlog ${String(backlog).padStart(6)}: start ${relay.startMs.toFixed(0).padStart(6)} ms, list of ${listed} ${listMs.toFixed(1).padStart(7)} ms, drained ${n} at ${(n / seconds).toFixed(0).padStart(5)}/s; CPU per envelope: relay ${(relayUs / n).toFixed(0)} us, receiver ${((own.user + own.system) / n).toFixed(0)} us`,
      );
      await receiver.close();
      fetch?.close();
      await relay.stop();
      fill(box, n); // back to the same backlog for the next version
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Start bench/relay-drain-server.ts on `dir` with the relay of `src`; stop() ends it. */
async function startRelayProcess(src: string, dir: string): Promise<{ url: string; startMs: number; cpuUs(): Promise<number>; stop(): Promise<void> }> {
  const profile = args['profile-relay'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['profile-relay'])}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(resolve(self, '..'), 'relay-drain-server.ts'), src, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const lines = createInterface({ input: child.stdout! });
  const nextLine = (): Promise<string> =>
    new Promise<string>((resolveLine, reject) => {
      lines.once('line', resolveLine);
      child.once('exit', (code) => reject(new Error(`relay process exited (${code})`)));
    });
  const { url, startMs } = JSON.parse(await nextLine()) as { url: string; startMs: number };
  return {
    url,
    startMs,
    cpuUs: async () => {
      const answer = nextLine();
      child.stdin!.write('cpu\n');
      return (JSON.parse(await answer) as { cpuUs: number }).cpuUs;
    },
    stop: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

/** CPU time of what each signed request adds: the client builds and signs the message, the relay builds and verifies it. */
async function signedRequestCost(): Promise<void> {
  const { generateIdentityKeys } = await import('../src/index.js');
  const { ed25519Sign, ed25519Verify } = await import('../src/crypto/ed25519.js');
  const { requestMessage } = await import('../src/transports/relay/protocol.js');
  const key = (await generateIdentityKeys()).signing;
  const fields = { method: 'GET', path: `/v1/mailboxes/${'a'.repeat(64)}/envelopes/${'0'.repeat(42)}`, origin: 'http://127.0.0.1:40000', token: new Uint8Array(32), time: Date.now(), nonce: new Uint8Array(16) };
  const n = 2000;
  const cpu = (f: () => void): number => {
    for (let i = 0; i < n; i++) f(); // warmed up first: cold, the message took 85 us, warm about 15
    const c = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const d = process.cpuUsage(c);
    return (d.user + d.system) / n;
  };
  const message = requestMessage(fields);
  const signature = ed25519Sign(key.secretKey, message);
  const build = cpu(() => requestMessage(fields));
  const sign = cpu(() => ed25519Sign(key.secretKey, message));
  const verify = cpu(() => ed25519Verify(key.publicKey, message, signature));
  console.log(`per signed request (CPU): message ${build.toFixed(0)} us, Ed25519 sign ${sign.toFixed(0)} us (client), verify ${verify.toFixed(0)} us (relay)`);
}
