/**
 * Deterministic CBOR (RFC 8949 section 4.2.1, "core deterministic encoding") for everything
 * lintas signs or MACs (SPEC section 2).
 *
 * Why not cbor-x or another general library: a general decoder is lenient by design. cbor-x's
 * accepts indefinite lengths, integers in longer-than-shortest form, unsorted and duplicate map
 * keys, and tags that build arbitrary objects (Map, Set, typed arrays, records). Any of those
 * would let two different byte strings mean the same header. So reading is done here by a small
 * strict decoder for the one profile lintas uses, and writing by an encoder of that profile
 * alone, canonical by construction: every head in its shortest form, definite lengths only, map
 * keys sorted by their encoded bytes. It once was cbor-x's encoder, with every output decoded
 * again by the strict decoder to prove it canonical: a copy of the value to prepare it, the
 * encoding, and the re-decode made CBOR 4.6% of a 1 KiB seal+open pair's CPU (issue 17). The
 * property tests (test/cbor/canonical-roundtrip.test.ts) now hold this encoder to the strict
 * decoder and to cbor-x's bytes instead.
 *
 * The lintas CBOR profile (SPEC section 2):
 * - unsigned integers up to 2^53 - 1 (major type 0);
 * - byte strings (2), UTF-8 text strings (3), definite-length arrays (4);
 * - maps (5) whose keys are text strings, sorted by their encoded bytes, without duplicates;
 * - the simple values false, true and null (major type 7: 20, 21, 22);
 * - every length and integer in its shortest form; no tags, floats, negative integers,
 *   indefinite lengths or other simple values; nesting at most `maxDepth` deep.
 */

/** A value in the lintas CBOR profile. */
export type CborValue = number | string | boolean | null | Uint8Array | CborValue[] | CborMap;
/** A CBOR map with text keys. Decoded maps have a null prototype. */
export interface CborMap {
  [key: string]: CborValue;
}

/** Why a byte string is not canonical lintas CBOR. */
export type CborErrorReason = 'malformed' | 'non-canonical' | 'unsupported' | 'too-deep' | 'too-large' | 'trailing-bytes';

/** Thrown by {@link decodeCanonical}; callers wrap it in their own layer's {@link LintasError}. */
export class CborDecodeError extends Error {
  readonly reason: CborErrorReason;
  /** How far the decoder had read when it gave up: its work is bounded by this offset. */
  readonly offset: number;
  constructor(reason: CborErrorReason, message: string, offset = 0) {
    super(`CBOR ${reason}: ${message}`);
    this.name = 'CborDecodeError';
    this.reason = reason;
    this.offset = offset;
  }
}

// ignoreBOM: keep a leading U+FEFF as part of the string. The default strips it, so
// EF BB BF "sender" would read as "sender": two byte strings, one value (and a hidden duplicate key).
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Default nesting limit, the one of bundle CBOR (SPEC 12.2); envelope headers and meta blocks pass 4 (SPEC section 7). */
export const DEFAULT_MAX_DEPTH = 8;

/**
 * Encode a value canonically. Map keys are sorted as RFC 8949 section 4.2.1 requires.
 * Map entries whose value is `undefined` are left out (so optional fields can be written inline).
 * @throws {TypeError} for values outside the profile (a programming error): numbers that are not
 *   unsigned safe integers, strings with a lone surrogate (not encodable as UTF-8), arrays with
 *   holes, objects other than plain objects (a Date, Map or class instance would silently become
 *   `{}` or a bag of fields), integer-like or `__proto__` keys, nesting deeper than 64.
 */
export function encodeCanonical(value: CborValue): Uint8Array {
  const w = new Writer();
  w.value(value, 0);
  return w.finish();
}

/** A UTF-16 surrogate without its partner: such a string has no UTF-8 encoding. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether every UTF-16 unit of `s` is ASCII: then its UTF-8 bytes are its char codes. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** A map key with its UTF-8 encoding, made only for a non-ASCII key (an ASCII key is its own). */
interface SortKey {
  k: string;
  /** UTF-8 length. */
  n: number;
  /** UTF-8 bytes; null when the key is ASCII. */
  e: Uint8Array | null;
}

function sortKey(k: string): SortKey {
  if (isAscii(k)) return { k, n: k.length, e: null };
  const e = utf8Encoder.encode(k);
  return { k, n: e.length, e };
}

/**
 * RFC 8949 deterministic order of text keys: shorter encoded key first, then bytewise. For two
 * ASCII keys of one length, comparing the strings is comparing their bytes.
 */
function compareKeys(a: SortKey, b: SortKey): number {
  if (a.n !== b.n) return a.n - b.n;
  if (a.e === null && b.e === null) return a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
  const ea = a.e ?? utf8Encoder.encode(a.k);
  const eb = b.e ?? utf8Encoder.encode(b.k);
  for (let i = 0; i < ea.length; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return 0;
}

/**
 * Writes one value of the profile. Canonical by construction: {@link Writer.head} always picks
 * the shortest form, every length is written before its content is (no indefinite lengths), and
 * map entries go out in {@link compareKeys} order. The keys of one map are distinct strings, so
 * their UTF-8 encodings are distinct too (UTF-8 is one-to-one on strings without lone
 * surrogates, which are refused): no duplicate keys.
 */
class Writer {
  private buf = new Uint8Array(256);
  private pos = 0;

  /** The bytes written, in an array of their own; the working buffer is zeroed (a meta block is confidential). */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.buf.fill(0, 0, this.pos);
    return out;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf.fill(0, 0, this.pos);
    this.buf = bigger;
  }

  /** An item head: major type and argument, in the shortest of the five forms (RFC 8949 4.2.1). */
  private head(major: number, n: number): void {
    this.room(9);
    const b = this.buf;
    const mt = major << 5;
    if (n < 24) {
      b[this.pos++] = mt | n;
    } else if (n < 0x100) {
      b[this.pos++] = mt | 24;
      b[this.pos++] = n;
    } else if (n < 0x10000) {
      b[this.pos++] = mt | 25;
      b[this.pos++] = n >>> 8;
      b[this.pos++] = n & 0xff;
    } else if (n < 0x100000000) {
      b[this.pos++] = mt | 26;
      this.u32(n);
    } else {
      b[this.pos++] = mt | 27;
      this.u32(Math.floor(n / 0x100000000));
      this.u32(n >>> 0);
    }
  }

  private u32(n: number): void {
    const b = this.buf;
    b[this.pos++] = n >>> 24;
    b[this.pos++] = (n >>> 16) & 0xff;
    b[this.pos++] = (n >>> 8) & 0xff;
    b[this.pos++] = n & 0xff;
  }

  private bytes(major: number, data: Uint8Array): void {
    this.head(major, data.length);
    this.room(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  private text(s: string): void {
    if (!isAscii(s)) {
      // A lone surrogate has no UTF-8 form: an encoder writes invalid UTF-8 or swaps in U+FFFD,
      // and either way the bytes would not say what the caller meant to sign.
      if (LONE_SURROGATE.test(s)) throw new TypeError('CBOR text string has a lone UTF-16 surrogate');
      this.bytes(3, utf8Encoder.encode(s));
      return;
    }
    this.head(3, s.length);
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  value(value: CborValue, depth: number): void {
    if (depth > 64) throw new TypeError('CBOR value nested too deeply');
    if (value === null) return this.simple(0xf6);
    if (value === false) return this.simple(0xf4);
    if (value === true) return this.simple(0xf5);
    if (typeof value === 'string') return this.text(value);
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`CBOR profile allows only unsigned safe integers, got ${value}`);
      // -0 passes the checks and is written as 0 (`0x00 | -0` is 0), as its value is.
      return this.head(0, value);
    }
    if (value instanceof Uint8Array) return this.bytes(2, value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (!(i in value)) throw new TypeError(`CBOR array has a hole at index ${i}`);
      this.head(4, value.length);
      for (let i = 0; i < value.length; i++) this.value(value[i]!, depth + 1);
      return;
    }
    if (typeof value === 'object') return this.map(value, depth);
    throw new TypeError(`CBOR profile cannot encode ${typeof value}`);
  }

  private simple(byte: number): void {
    this.room(1);
    this.buf[this.pos++] = byte;
  }

  private map(value: CborMap, depth: number): void {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`CBOR profile encodes only plain objects as maps, got ${(value as object).constructor?.name ?? 'an object'}`);
    }
    const keys: SortKey[] = [];
    for (const k of Object.keys(value)) {
      // JS objects list integer-like keys first, which would break the sort order.
      if (/^(0|[1-9]\d*)$/.test(k) || k === '__proto__') throw new TypeError(`CBOR map key not allowed: ${k}`);
      const key = sortKey(k);
      if (key.e !== null && LONE_SURROGATE.test(k)) throw new TypeError('CBOR map key has a lone UTF-16 surrogate');
      if (value[k] !== undefined) keys.push(key);
    }
    keys.sort(compareKeys);
    this.head(5, keys.length);
    for (const { k } of keys) {
      this.text(k);
      this.value(value[k]!, depth + 1);
    }
  }
}

/** Options for {@link decodeCanonical}. */
export interface DecodeOptions {
  /** Maximum nesting depth (a top-level scalar is depth 0). */
  maxDepth?: number;
  /**
   * Most entries one array or map may declare (a map entry is a key and its value). Checked at
   * the container's head, before any entry is read. Default: no limit beyond the input's length.
   */
  maxLength?: number;
  /**
   * Most data items in the whole input, every array, map, key and value counted once. Checked as
   * each item starts, so decoding stops after at most this many items however the bytes are
   * arranged (SPEC section 2 rule 9). Default: no limit beyond the input's length.
   */
  maxItems?: number;
}

/**
 * Decode one canonical CBOR item that must span all of `bytes`. Returned byte strings are
 * copies, so the caller may wipe or reuse `bytes`.
 * @throws {CborDecodeError} for anything outside the profile.
 */
export function decodeCanonical(bytes: Uint8Array, options: DecodeOptions = {}): CborValue {
  const reader = new StrictReader(bytes, options.maxDepth ?? DEFAULT_MAX_DEPTH, options.maxLength ?? Infinity, options.maxItems ?? Infinity);
  const value = reader.item(0);
  if (reader.pos !== bytes.length) throw new CborDecodeError('trailing-bytes', `${bytes.length - reader.pos} bytes after the item`, reader.pos);
  return value;
}

class StrictReader {
  pos = 0;
  private items = 0;
  constructor(
    private readonly b: Uint8Array,
    private readonly maxDepth: number,
    private readonly maxLength: number,
    private readonly maxItems: number,
  ) {}

  private fail(reason: CborErrorReason, message: string): CborDecodeError {
    return new CborDecodeError(reason, message, this.pos);
  }

  private need(n: number): void {
    if (n > this.b.length - this.pos) throw this.fail('malformed', `needs ${n} more bytes at offset ${this.pos}`);
  }

  /** SPEC 2 rule 9: a container's declared length is refused at its head, before any entry is decoded. */
  private checkLength(n: number): void {
    if (n > this.maxLength) throw this.fail('too-large', `array or map of ${n} entries, the limit is ${this.maxLength}`);
  }

  /** Read an item head: major type and argument, enforcing the shortest form. */
  private head(): { major: number; arg: number } {
    this.need(1);
    const ib = this.b[this.pos++]!;
    const major = ib >> 5;
    const info = ib & 0x1f;
    if (info < 24) return { major, arg: info };
    let arg: number;
    let min: number;
    if (info === 24) {
      this.need(1);
      arg = this.b[this.pos]!;
      this.pos += 1;
      min = 24;
    } else if (info === 25) {
      this.need(2);
      arg = (this.b[this.pos]! << 8) | this.b[this.pos + 1]!;
      this.pos += 2;
      min = 0x100;
    } else if (info === 26) {
      this.need(4);
      arg = ((this.b[this.pos]! << 24) >>> 0) + (this.b[this.pos + 1]! << 16) + (this.b[this.pos + 2]! << 8) + this.b[this.pos + 3]!;
      this.pos += 4;
      min = 0x10000;
    } else if (info === 27) {
      this.need(8);
      const hi = ((this.b[this.pos]! << 24) >>> 0) + (this.b[this.pos + 1]! << 16) + (this.b[this.pos + 2]! << 8) + this.b[this.pos + 3]!;
      const lo = ((this.b[this.pos + 4]! << 24) >>> 0) + (this.b[this.pos + 5]! << 16) + (this.b[this.pos + 6]! << 8) + this.b[this.pos + 7]!;
      this.pos += 8;
      if (hi > 0x1fffff) throw this.fail('unsupported', 'integer above 2^53 - 1');
      arg = hi * 0x100000000 + lo;
      min = 0x100000000;
    } else if (info === 31) {
      throw this.fail('unsupported', 'indefinite-length item');
    } else {
      throw this.fail('malformed', `reserved additional information ${info}`);
    }
    if (major !== 7 && arg < min) throw this.fail('non-canonical', `integer or length ${arg} not in shortest form`);
    return { major, arg };
  }

  item(depth: number): CborValue {
    // Depth first, then the item count: both are decided at the item's first byte (SPEC 2 rules 7, 9).
    if (depth > this.maxDepth) throw this.fail('too-deep', `nesting deeper than ${this.maxDepth}`);
    if (++this.items > this.maxItems) throw this.fail('too-large', `more than ${this.maxItems} data items`);
    const start = this.pos;
    const { major, arg } = this.head();
    switch (major) {
      case 0:
        return arg;
      case 2: {
        this.need(arg);
        const out = this.b.slice(this.pos, this.pos + arg);
        this.pos += arg;
        return out;
      }
      case 3: {
        this.need(arg);
        let s: string;
        try {
          s = utf8Decoder.decode(this.b.subarray(this.pos, this.pos + arg));
        } catch {
          throw this.fail('malformed', 'text string is not valid UTF-8');
        }
        this.pos += arg;
        return s;
      }
      case 4: {
        this.checkLength(arg);
        // Every item takes at least one byte: a longer declared length cannot be honest.
        this.need(arg);
        const out: CborValue[] = [];
        for (let i = 0; i < arg; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        this.checkLength(arg);
        this.need(arg * 2);
        const out = Object.create(null) as CborMap;
        let prevKey: Uint8Array | null = null;
        for (let i = 0; i < arg; i++) {
          const keyStart = this.pos;
          if (this.b[keyStart]! >> 5 !== 3) throw this.fail('unsupported', 'map key is not a text string');
          const key = this.item(depth + 1) as string;
          const keyBytes = this.b.subarray(keyStart, this.pos);
          if (prevKey !== null) {
            const c = compareBytes(prevKey, keyBytes);
            if (c === 0) throw this.fail('non-canonical', `duplicate map key "${key}"`);
            if (c > 0) throw this.fail('non-canonical', `map keys not in deterministic order at "${key}"`);
          }
          prevKey = keyBytes;
          if (key === '__proto__') throw this.fail('unsupported', 'map key "__proto__"');
          out[key] = this.item(depth + 1);
        }
        return out;
      }
      case 7:
        if (this.b[start] === 0xf4) return false;
        if (this.b[start] === 0xf5) return true;
        if (this.b[start] === 0xf6) return null;
        throw this.fail('unsupported', `simple value or float 0x${this.b[start]!.toString(16)}`);
      default:
        throw this.fail('unsupported', `major type ${major} (negative integer or tag)`);
    }
  }
}

/** Length-first bytewise order (RFC 8949 section 4.2.1 applied to encoded keys). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
