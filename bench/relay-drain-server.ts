/**
 * The relay side of bench/relay-drain.ts, in its own process as in a deployment (so relay and
 * receiver do not share one thread): `relay-drain-server.ts <src dir> <relay dir>` starts the
 * relay of that src/ on the folder with rate limits out of the way, prints its URL and the
 * start-up time as one JSON line, answers each line on stdin with its CPU time so far, and runs
 * until stdin closes. Run it with `--cpu-prof` to
 * profile the relay alone (bench/relay-drain.ts --profile-relay DIR).
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [src, dir] = process.argv.slice(2) as [string, string];
const node = (await import(pathToFileURL(join(src, 'node.ts')).href)) as typeof import('../src/node.js');
const unlimited = { perSecond: 1e6, burst: 1e6 };
const started = performance.now();
const relay = await node.startRelay({ dir, onWarning: () => {}, limits: { clientRate: unlimited, keyRate: unlimited, mailboxSendRate: unlimited } });
process.stdout.write(`${JSON.stringify({ url: relay.url, startMs: performance.now() - started })}\n`);
// Each line on stdin asks for the CPU time this process has used so far (us), answered as a JSON line.
createInterface({ input: process.stdin }).on('line', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuUs: user + system })}\n`);
});
process.stdin.on('end', () => void relay.close().then(() => process.exit(0)));
