/**
 * What one small HTTP request costs a Node process through the global `fetch` (undici) and
 * through `node:http` with a keep-alive agent, the same server answering both (issue 15: the
 * relay client's receive loop makes about 1.1 such requests per envelope, and its CPU per
 * envelope is what bounds a drain; docs/TRANSPORTS.md, "The quiet run").
 *
 *   npx tsx bench/http-client.ts [--requests 3000] [--rounds 3]
 *
 * Client and server share this process, so the CPU figure is both sides; the server's part is
 * the same for both clients, so the difference is the client's. Rounds alternate the two
 * clients after a warm-up. Prints; asserts nothing.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' } } });
const requests = Number(args.requests);
const rounds = Number(args.rounds);

// An answer shaped like the relay's to a lease or an ack: a small JSON object.
const server = createServer((req, res) => {
  let bytes = 0;
  req.on('data', (c: Buffer) => (bytes += c.length));
  req.on('end', () => {
    const body = JSON.stringify({ leases: [], leaseMs: 30_000, bytes });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/mailboxes/x/leases`;
// A signed request's headers (docs/TRANSPORTS.md 3.3): a bearer token, time, nonce, signature.
const headers = { 'content-type': 'application/json', authorization: `Bearer ${'a'.repeat(64)}`, 'x-lintas-time': '0', 'x-lintas-nonce': 'b'.repeat(32), 'x-lintas-signature': 'c'.repeat(128) };
const body = JSON.stringify({ max: 8, waitMs: 0, inlineMaxBytes: 65_536 });
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

async function viaFetch(): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return res.json();
}

function viaNodeHttp(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

console.log(`small POST requests on loopback, ${requests} per round (node ${process.version}); CPU is client + server`);
for (let round = 1; round <= rounds; round++) {
  for (const [name, send] of [['fetch (undici)', viaFetch], ['node:http, keep-alive agent', viaNodeHttp]] as const) {
    for (let i = 0; i < 300; i++) await send();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < requests; i++) await send();
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    console.log(`round ${round}  ${name.padEnd(28)} CPU ${Math.round((cpu.user + cpu.system) / requests)} us, wall ${Math.round((wall * 1000) / requests)} us per request`);
  }
}
server.close();
agent.destroy();
