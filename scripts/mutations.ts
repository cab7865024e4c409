/**
 * `npm run mutations`: exhaustive mutation of a real envelope (issue 8, docs/SECURITY-TESTING.md).
 * Seals two envelopes of 3 chunks (4 KiB chunks, 8,692-byte payload) from one signed sender to an
 * X25519 and an X-Wing recipient, then opens every single-bit flip of every byte, every truncation,
 * every chunk swap, duplication and deletion, and the splices of the two, with both recipients'
 * keys. Prints the counts per kind of damage, per region and per error code; exits with status 1
 * on any acceptance, crash, or code outside the one SPEC sections 6 and 9 assign.
 */
import { generateIdentityKeys, seal } from '../src/index.js';
import { bitFlips, chunkEdits, formatCounts, layoutOf, runMutations, splices, truncations } from '../fuzz/envelope-mutations.js';

const PAYLOAD = 2 * 4096 + 500;

async function main(): Promise<void> {
  const sender = await generateIdentityKeys();
  const [one, two] = [await generateIdentityKeys(), await generateIdentityKeys()];
  const options = { recipients: [one.x25519, two.xwing], sender: sender.signing, chunkSize: 4096 };
  const payload = new Uint8Array(PAYLOAD).map((_, i) => i * 7);
  const a = await seal(payload, options);
  const b = await seal(payload, options);
  const layout = layoutOf(a);
  console.log(`envelope: ${a.length} bytes (prefix 11, header ${layout.headerLength}, header MAC 32, ${layout.chunks.length} payload chunks), signed, X25519 + X-Wing recipients`);
  const started = performance.now();
  const cases = (function* () {
    yield* bitFlips(a, layout);
    yield* truncations(a, layout);
    yield* chunkEdits(a, layout);
    yield* splices(a, b);
  })();
  const report = await runMutations(cases, { keys: [one.x25519, two.xwing] }, (n) => process.stderr.write(`  ${n.toLocaleString('en')} cases...\r`));
  const seconds = (performance.now() - started) / 1000;
  console.log(`${report.cases.toLocaleString('en')} mutated envelopes opened in ${seconds.toFixed(0)} s: ${report.acceptances.length} accepted, ${report.unexpected.length} refused with an unexpected code`);
  console.log('by kind of damage:');
  for (const line of formatCounts(report.byKind)) console.log(line);
  console.log('bit flips by region:');
  for (const line of formatCounts(report.flipsByRegion)) console.log(line);
  for (const c of report.acceptances.slice(0, 10)) console.log(`ACCEPTED: ${c.kind} (${c.region})`);
  for (const u of report.unexpected.slice(0, 20)) console.log(`UNEXPECTED: ${u.c.kind} (${u.c.region}) gave ${u.code}, expected ${u.c.expected.join(' or ')}`);
  process.exitCode = report.acceptances.length === 0 && report.unexpected.length === 0 ? 0 : 1;
}

await main();
