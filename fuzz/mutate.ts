/**
 * Byte-level mutations of a valid encoding, shared by the property tests (which draw them with
 * fast-check) and the coverage-guided fuzzer (which draws them from a seeded generator). Besides
 * the blind ones (bit flips, cuts, insertions), some aim at what our formats declare: CBOR heads
 * that announce huge lengths or deep nesting, and 16/32-bit big-endian length prefixes set to
 * their extremes, so that "a declared length beyond the input is refused before allocating it" is
 * exercised at every offset.
 */

/** One edit. Offsets are taken modulo the input length, so any number is a valid offset. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'add'; at: number; delta: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; at: number; count: number; to: number }
  | { kind: 'splice'; at: number; other: number; from: number }
  | { kind: 'length'; at: number; width: 2 | 4; value: number };

/**
 * Byte strings that mean something to a lintas decoder: CBOR heads announcing 2^32-1 and
 * 2^53-1 byte strings, text strings, arrays and maps, an indefinite length, a tag, floats, deep
 * nesting; and armor and envelope magic.
 */
export const TOKENS: readonly Uint8Array[] = [
  [0x5a, 0xff, 0xff, 0xff, 0xff],
  [0x5b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x7a, 0x7f, 0xff, 0xff, 0xff],
  [0x9a, 0xff, 0xff, 0xff, 0xff],
  [0xba, 0x7f, 0xff, 0xff, 0xff],
  [0x9b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x5f],
  [0xc2, 0x41, 0x01],
  [0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
  [0xf7],
  new Array(40).fill(0x81),
  [0xa1, 0x61, 0x76, 0x02],
  [0x1b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  Array.from('LINTAS', (c) => c.charCodeAt(0)),
  Array.from('-----END LINTAS ENVELOPE-----\n', (c) => c.charCodeAt(0)),
  [0x0d, 0x0a],
  [0x3d],
  [0xef, 0xbb, 0xbf],
].map((t) => Uint8Array.from(t));

/** Join byte strings (no spreading into arguments: inputs may be far larger than the call stack allows). */
function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Apply one mutation; `corpus` is what a splice draws from. */
export function applyMutation(input: Uint8Array, m: Mutation, corpus: readonly Uint8Array[] = []): Uint8Array {
  const n = input.length;
  const at = (x: number, extra = 0) => (n + extra === 0 ? 0 : x % (n + extra));
  switch (m.kind) {
    case 'flip':
    case 'set':
    case 'add': {
      const out = input.slice();
      if (n === 0) return out;
      const i = at(m.at);
      out[i] = m.kind === 'flip' ? out[i]! ^ (1 << (m.bit & 7)) : m.kind === 'set' ? m.value & 0xff : (out[i]! + m.delta) & 0xff;
      return out;
    }
    case 'truncate':
      return input.slice(0, at(m.at));
    case 'insert': {
      const i = at(m.at, 1);
      return join(input.subarray(0, i), m.bytes, input.subarray(i));
    }
    case 'delete': {
      const i = at(m.at);
      return join(input.subarray(0, i), input.subarray(i + m.count));
    }
    case 'overwrite': {
      const i = at(m.at);
      return join(input.subarray(0, i), m.bytes, input.subarray(i + m.bytes.length));
    }
    case 'duplicate': {
      const start = at(m.at);
      const to = at(m.to, 1);
      return join(input.subarray(0, to), input.subarray(start, start + m.count), input.subarray(to));
    }
    case 'splice': {
      const other = corpus.length === 0 ? input : corpus[m.other % corpus.length]!;
      const from = other.length === 0 ? 0 : m.from % other.length;
      return join(input.subarray(0, at(m.at, 1)), other.subarray(from));
    }
    case 'length': {
      const out = input.slice();
      if (n < m.width) return out;
      const start = m.at % (n - m.width + 1);
      for (let i = 0; i < m.width; i++) out[start + i] = Math.floor(m.value / 256 ** (m.width - 1 - i)) & 0xff;
      return out;
    }
  }
}

/** Apply mutations in order. */
export function applyMutations(input: Uint8Array, ms: readonly Mutation[], corpus: readonly Uint8Array[] = []): Uint8Array {
  return ms.reduce((acc, m) => applyMutation(acc, m, corpus), input);
}

/** A small, fast, seeded generator (xorshift128+ folded to 32 bits): fuzz runs are replayable from their seed. */
export class Rng {
  private s0: number;
  private s1: number;
  constructor(seed: number) {
    this.s0 = (seed ^ 0x9e3779b9) >>> 0 || 1;
    this.s1 = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 2;
  }
  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    let s1 = this.s0;
    const s0 = this.s1;
    this.s0 = s0;
    s1 ^= s1 << 23;
    s1 ^= s1 >>> 17;
    s1 ^= s0 ^ (s0 >>> 26);
    this.s1 = s1 >>> 0;
    return (this.s0 + this.s1) >>> 0;
  }
  /** A uniform integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.u32() & 0xff);
  }
}

const LENGTH_EXTREMES = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0xffffffff];

/** Draw one mutation for an input of length `n`. */
export function randomMutation(rng: Rng, n: number): Mutation {
  const at = rng.below(Math.max(1, n + 1));
  // Small edits near the start matter most (prefixes, heads), so half of the offsets are below 64.
  const near = rng.below(2) === 0 ? rng.below(Math.min(64, n + 1)) : at;
  switch (rng.below(10)) {
    case 0:
      return { kind: 'flip', at: near, bit: rng.below(8) };
    case 1:
      return { kind: 'set', at: near, value: [0, 1, 0x7f, 0x80, 0xff, 0x18, 0x19, 0x1a, 0x1b, 0x1f, rng.below(256)][rng.below(11)]! };
    case 2:
      return { kind: 'add', at: near, delta: [1, -1, 16, -16, 32][rng.below(5)]! };
    case 3:
      return { kind: 'truncate', at };
    case 4:
      return { kind: 'insert', at: near, bytes: rng.below(2) === 0 ? TOKENS[rng.below(TOKENS.length)]! : rng.bytes(1 + rng.below(16)) };
    case 5:
      return { kind: 'delete', at: near, count: 1 + rng.below(rng.below(2) === 0 ? 4 : 64) };
    case 6:
      return { kind: 'overwrite', at: near, bytes: rng.below(2) === 0 ? TOKENS[rng.below(TOKENS.length)]! : rng.bytes(1 + rng.below(8)) };
    case 7:
      return { kind: 'duplicate', at, count: 1 + rng.below(128), to: rng.below(Math.max(1, n + 1)) };
    case 8:
      return { kind: 'splice', at, other: rng.u32(), from: rng.u32() };
    default:
      return { kind: 'length', at: near, width: rng.below(2) === 0 ? 2 : 4, value: LENGTH_EXTREMES[rng.below(LENGTH_EXTREMES.length)]! };
  }
}
