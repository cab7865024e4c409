/**
 * ASCII armor shared by every lintas object that travels as text (envelopes, key cards,
 * revocation statements): standard padded base64, 64 characters a line, between
 * `-----BEGIN LINTAS <LABEL>-----` and `-----END LINTAS <LABEL>-----` lines. The reader is strict
 * (canonical base64 only, full lines but the last), so one object has exactly one armored form
 * apart from the line ending (LF or CRLF) and whitespace around the block.
 */
import { LintasError } from '../errors/index.js';

const LINE_CHARS = 64;
/**
 * SPEC 8: the longest line a reader takes, in bytes without its LF (a CR counts), for every line:
 * blank lines around the block included. One rule, checked on each line whole or as it streams
 * in, so the outcome cannot depend on how the text is cut into pieces (SPEC 6).
 */
const MAX_LINE_BYTES = 4096;
const LINE_BYTES = 48; // 64 base64 characters
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** The BEGIN line for `label` (e.g. `ENVELOPE`, `KEY CARD`). */
export function armorBeginLine(label: string): string {
  return `-----BEGIN LINTAS ${label}-----`;
}

/** The END line for `label`. */
export function armorEndLine(label: string): string {
  return `-----END LINTAS ${label}-----`;
}

function bad(label: string, message: string): LintasError {
  return new LintasError('ERR_ARMOR_MALFORMED', `Armored ${label.toLowerCase()} is malformed: ${message}`);
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
function decodeBase64Line(label: string, line: string, isLast: boolean): Uint8Array {
  if (line.length % 4 !== 0) throw bad(label, 'a line length is not a multiple of 4');
  const pad = line.endsWith('==') ? 2 : line.endsWith('=') ? 1 : 0;
  if (pad > 0 && !isLast) throw bad(label, 'padding before the last line');
  const out = new Uint8Array((line.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < line.length; i += 4) {
    const q = [0, 1, 2, 3].map((k) => {
      const c = line.charCodeAt(i + k);
      if (line[i + k] === '=' && i + 4 === line.length && k >= 4 - pad) return 0;
      const v = c < 128 ? B64_INDEX[c]! : -1;
      if (v < 0) throw bad(label, `character ${JSON.stringify(line[i + k])} is not base64`);
      return v;
    });
    const n = (q[0]! << 18) | (q[1]! << 12) | (q[2]! << 6) | q[3]!;
    const isFinalQuad = i + 4 === line.length;
    if (isFinalQuad && pad === 2 && (n & 0xffff) !== 0) throw bad(label, 'non-canonical base64 (padding bits set)');
    if (isFinalQuad && pad === 1 && (n & 0xff) !== 0) throw bad(label, 'non-canonical base64 (padding bits set)');
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** Armor `bytes` as one `LINTAS <label>` block. */
export function armorBlock(label: string, bytes: Uint8Array): string {
  const lines = [armorBeginLine(label)];
  for (let i = 0; i < bytes.length; i += LINE_BYTES) lines.push(encodeBase64(bytes.subarray(i, i + LINE_BYTES)));
  lines.push(armorEndLine(label));
  return lines.join('\n') + '\n';
}

/** Armor a stream of bytes as one `LINTAS <label>` block, yielding UTF-8 text chunks. */
export async function* armorBlockStream(label: string, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const te = new TextEncoder();
  yield te.encode(armorBeginLine(label) + '\n');
  let pending = new Uint8Array(0);
  for await (const chunk of source) {
    const all = pending.length ? concat(pending, chunk) : chunk;
    const full = all.length - (all.length % LINE_BYTES);
    let text = '';
    for (let i = 0; i < full; i += LINE_BYTES) text += encodeBase64(all.subarray(i, i + LINE_BYTES)) + '\n';
    if (text) yield te.encode(text);
    pending = all.slice(full);
  }
  yield te.encode((pending.length ? encodeBase64(pending) + '\n' : '') + armorEndLine(label) + '\n');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Decode one `LINTAS <label>` block from a whole text (for small objects such as key cards).
 * @throws {@link LintasError} `ERR_ARMOR_MALFORMED`.
 */
export function dearmorBlock(label: string, text: string): Uint8Array {
  const parts: Uint8Array[] = [];
  const reader = new ArmorLineReader(label);
  for (const line of text.split('\n')) {
    if (isTooLong(line)) throw lineTooLong(label);
    for (const p of reader.line(line)) parts.push(p);
  }
  reader.end();
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Decode one `LINTAS <label>` block streamed in arbitrary pieces, line by line, in bounded memory.
 * @throws {@link LintasError} `ERR_ARMOR_MALFORMED`.
 */
export async function* dearmorBlockStream(label: string, text: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  // ignoreBOM: a leading U+FEFF stays in the text and is refused like any other non-blank
  // character before the BEGIN line (SPEC 8), as open() already did by not taking it for armor.
  const td = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const reader = new ArmorLineReader(label);
  let partial = '';
  let lineBytes = 0; // bytes of the current line seen so far, its LF not counted
  for await (const chunk of text) {
    // Counted on the bytes as they arrive, so a long line is refused before it is buffered and
    // whatever the pieces are (SPEC 8).
    for (let i = 0; i < chunk.length; ) {
      const lf = chunk.indexOf(0x0a, i);
      const end = lf < 0 ? chunk.length : lf;
      lineBytes += end - i;
      if (lineBytes > MAX_LINE_BYTES) throw lineTooLong(label);
      if (lf < 0) break;
      lineBytes = 0;
      i = lf + 1;
    }
    let s: string;
    try {
      s = td.decode(chunk, { stream: true });
    } catch {
      throw bad(label, 'it is not valid UTF-8');
    }
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) yield* reader.line(l);
  }
  // An incomplete UTF-8 sequence at the very end is held by the decoder; flushing it makes it an
  // error (SPEC 8: the text MUST be valid UTF-8) instead of bytes silently dropped after the END line.
  try {
    partial += td.decode();
  } catch {
    throw bad(label, 'it is not valid UTF-8');
  }
  if (partial.length > 0) yield* reader.line(partial);
  reader.end();
}

function lineTooLong(label: string): LintasError {
  return bad(label, `a line is longer than ${MAX_LINE_BYTES} bytes`);
}

const utf8 = new TextEncoder();

/** True if the line has more than MAX_LINE_BYTES bytes of UTF-8 (a UTF-16 unit is at most 3 bytes, so short lines need no encoding). */
function isTooLong(line: string): boolean {
  return line.length * 3 > MAX_LINE_BYTES && utf8.encode(line).length > MAX_LINE_BYTES;
}

/** SPEC 8: lines around the block may hold SP and HT only (String.trim() would also take NBSP, BOM, U+2028...). */
function isBlank(line: string): boolean {
  return /^[ \t]*$/.test(line);
}

/** The strict line-by-line state machine behind both readers. */
class ArmorLineReader {
  private state: 'before' | 'body' | 'after' = 'before';
  private prevLine: string | null = null; // a body line is known to be non-last only once the next arrives
  private sawShort = false;
  private readonly begin: string;
  private readonly endLine: string;

  constructor(private readonly label: string) {
    this.begin = armorBeginLine(label);
    this.endLine = armorEndLine(label);
  }

  *line(rawLine: string): Generator<Uint8Array> {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (this.state === 'before') {
      if (isBlank(line)) return;
      if (line !== this.begin) throw bad(this.label, 'it does not start with ' + this.begin);
      this.state = 'body';
      return;
    }
    if (this.state === 'after') {
      if (!isBlank(line)) throw bad(this.label, 'text after the END line');
      return;
    }
    if (line === this.endLine) {
      if (this.prevLine !== null) yield decodeBase64Line(this.label, this.prevLine, true);
      this.prevLine = null;
      this.state = 'after';
      return;
    }
    if (line.length > LINE_CHARS) throw bad(this.label, `a line is longer than ${LINE_CHARS} characters`);
    if (this.sawShort) throw bad(this.label, 'a short line before the last line');
    if (this.prevLine !== null) yield decodeBase64Line(this.label, this.prevLine, false);
    if (line.length < LINE_CHARS) this.sawShort = true;
    if (line.length === 0) throw bad(this.label, 'an empty line inside the armor');
    this.prevLine = line;
  }

  end(): void {
    if (this.state !== 'after') throw bad(this.label, this.state === 'before' ? 'no BEGIN line' : 'no END line (truncated?)');
  }
}
