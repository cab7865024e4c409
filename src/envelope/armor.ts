/**
 * ASCII armor (SPEC section 8): the binary envelope in standard, padded base64, 64 characters a
 * line, between BEGIN and END lines, for email, chat, paper and QR codes. The reader is strict
 * (canonical base64 only, full lines but the last), so one envelope has exactly one armored form
 * apart from the line ending (LF or CRLF) and whitespace around the block.
 */
import { LintasError } from '../errors/index.js';
import { collectBytes, toAsyncIterable, type ByteSource } from './byte-source.js';

export const ARMOR_BEGIN = '-----BEGIN LINTAS ENVELOPE-----';
export const ARMOR_END = '-----END LINTAS ENVELOPE-----';
const LINE_CHARS = 64;
const LINE_BYTES = 48; // 64 base64 characters
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

function bad(message: string): LintasError {
  return new LintasError('ERR_ARMOR_MALFORMED', `Armored envelope is malformed: ${message}`);
}

function encodeBase64(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return s;
}

/** Decode one armor line; rejects non-alphabet characters and non-zero padding bits. */
function decodeBase64Line(line: string, isLast: boolean): Uint8Array {
  if (line.length % 4 !== 0) throw bad('a line length is not a multiple of 4');
  const pad = line.endsWith('==') ? 2 : line.endsWith('=') ? 1 : 0;
  if (pad > 0 && !isLast) throw bad('padding before the last line');
  const out = new Uint8Array((line.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < line.length; i += 4) {
    const q = [0, 1, 2, 3].map((k) => {
      const c = line.charCodeAt(i + k);
      if (line[i + k] === '=' && i + 4 === line.length && k >= 4 - pad) return 0;
      const v = c < 128 ? B64_INDEX[c]! : -1;
      if (v < 0) throw bad(`character ${JSON.stringify(line[i + k])} is not base64`);
      return v;
    });
    const n = (q[0]! << 18) | (q[1]! << 12) | (q[2]! << 6) | q[3]!;
    const isFinalQuad = i + 4 === line.length;
    if (isFinalQuad && pad === 2 && (n & 0xffff) !== 0) throw bad('non-canonical base64 (padding bits set)');
    if (isFinalQuad && pad === 1 && (n & 0xff) !== 0) throw bad('non-canonical base64 (padding bits set)');
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** Armor a binary envelope. */
export function armor(envelope: Uint8Array): string {
  if (!(envelope instanceof Uint8Array)) throw new TypeError('envelope must be a Uint8Array');
  const lines = [ARMOR_BEGIN];
  for (let i = 0; i < envelope.length; i += LINE_BYTES) lines.push(encodeBase64(envelope.subarray(i, i + LINE_BYTES)));
  lines.push(ARMOR_END);
  return lines.join('\n') + '\n';
}

/**
 * Armor a stream of envelope bytes, yielding UTF-8 text chunks.
 */
export async function* armorStream(envelope: ByteSource): AsyncGenerator<Uint8Array> {
  const te = new TextEncoder();
  yield te.encode(ARMOR_BEGIN + '\n');
  let pending = new Uint8Array(0);
  for await (const chunk of toAsyncIterable(envelope, 'envelope')) {
    const all = pending.length ? concat(pending, chunk) : chunk;
    const full = all.length - (all.length % LINE_BYTES);
    let text = '';
    for (let i = 0; i < full; i += LINE_BYTES) text += encodeBase64(all.subarray(i, i + LINE_BYTES)) + '\n';
    if (text) yield te.encode(text);
    pending = all.slice(full);
  }
  yield te.encode((pending.length ? encodeBase64(pending) + '\n' : '') + ARMOR_END + '\n');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Decode an armored envelope (whole text). */
export async function dearmor(text: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  return collectBytes(dearmorStream(toAsyncIterable(bytes, 'text')));
}

/**
 * True if `first` (the first bytes of an input) can only be the start of an armored envelope:
 * its first non-whitespace byte is '-', or it is all whitespace. A binary envelope starts with
 * "LINTAS", so leading whitespace of any length (allowed around the armor block) means armor.
 */
export function looksArmored(first: Uint8Array): boolean {
  let i = 0;
  while (i < first.length && isSpace(first[i]!)) i++;
  if (i === first.length) return first.length > 0;
  return first[i] === 0x2d; // '-'
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * Decode armored text streamed in arbitrary pieces, line by line, in bounded memory.
 * @throws {LintasError} `ERR_ARMOR_MALFORMED`.
 */
export async function* dearmorStream(text: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const td = new TextDecoder('utf-8', { fatal: true });
  let partial = '';
  let state: 'before' | 'body' | 'after' = 'before';
  let prevLine: string | null = null; // a body line is known to be non-last only once the next arrives
  let sawShort = false;
  const handle = function* (rawLine: string): Generator<Uint8Array> {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (state === 'before') {
      if (line.trim() === '') return;
      if (line !== ARMOR_BEGIN) throw bad('it does not start with ' + ARMOR_BEGIN);
      state = 'body';
      return;
    }
    if (state === 'after') {
      if (line.trim() !== '') throw bad('text after the END line');
      return;
    }
    if (line === ARMOR_END) {
      if (prevLine !== null) yield decodeBase64Line(prevLine, true);
      prevLine = null;
      state = 'after';
      return;
    }
    if (line.length > LINE_CHARS) throw bad(`a line is longer than ${LINE_CHARS} characters`);
    if (sawShort) throw bad('a short line before the last line');
    if (prevLine !== null) yield decodeBase64Line(prevLine, false);
    if (line.length < LINE_CHARS) sawShort = true;
    if (line.length === 0) throw bad('an empty line inside the armor');
    prevLine = line;
  };
  for await (const chunk of text) {
    let s: string;
    try {
      s = td.decode(chunk, { stream: true });
    } catch {
      throw bad('it is not valid UTF-8');
    }
    partial += s;
    if (partial.length > 4096 && !partial.includes('\n')) throw bad('a line is far too long');
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) yield* handle(l);
  }
  if (partial.length > 0) yield* handle(partial);
  if ((state as string) !== 'after') throw bad((state as string) === 'before' ? 'no BEGIN line' : 'no END line (truncated?)');
}
