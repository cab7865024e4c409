/**
 * Worst-case cost of a hostile envelope header (SPEC 2 rule 9, section 7; issue 14 item 3):
 * `npm run bench:headers`. For each shape of header up to 2 MiB, the median time and the heap
 * growth of decoding it (SPEC 6.1 steps 4–6, what `open` and the key-free `inspect` do before any
 * key is used), per byte of header. The limits make both linear in the bytes: a hostile header is
 * refused after at most 9,227 items, so the largest cost is that of the largest valid structure.
 */
import { decodeHeader } from '../src/envelope/header.js';
import { LIMITS } from '../src/envelope/constants.js';
import { flatEmptyMaps, largestValidStanzas, nestedEmptyMaps, type HostileHeader } from '../test/fixtures/hostile-headers.js';
import { fmt, medianSeconds, table } from './measure.js';

function decodeOnce(h: HostileHeader): string {
  try {
    decodeHeader(h.bytes);
    return 'accepted';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** Heap growth while one decode's result is still reachable (a rough upper bound on what it built). */
function heapGrowth(h: HostileHeader): number {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  let kept: unknown = null;
  try {
    kept = decodeHeader(h.bytes);
  } catch (e) {
    kept = e;
  }
  const after = process.memoryUsage().heapUsed;
  void kept;
  return Math.max(0, after - before);
}

const headers = [flatEmptyMaps(LIMITS.maxHeaderBytes), nestedEmptyMaps(LIMITS.maxHeaderBytes), largestValidStanzas()];
const rows: string[][] = [];
let worst = 0;
for (const h of headers) {
  const seconds = await medianSeconds(() => decodeOnce(h), { minSeconds: 1, minRuns: 5 });
  const nsPerByte = (seconds * 1e9) / h.bytes.length;
  worst = Math.max(worst, nsPerByte);
  rows.push([h.name, fmt(h.bytes.length, 0), decodeOnce(h), fmt(seconds * 1000, 2), fmt(nsPerByte, 2), fmt(heapGrowth(h) / h.bytes.length, 2)]);
}
console.log('# Hostile envelope headers: decoding cost before any key is used');
console.log();
console.log(table(['Header', 'Bytes', 'Outcome', 'ms', 'ns/byte', 'heap bytes/byte'], rows));
console.log();
console.log(`Worst-case header cost: ${fmt(worst, 2)} ns per header byte (${fmt((worst * LIMITS.maxHeaderBytes) / 1e6, 1)} ms for a 2 MiB header).`);
