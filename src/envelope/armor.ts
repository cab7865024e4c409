/**
 * ASCII armor for envelopes (SPEC section 8): the binary envelope in standard, padded base64,
 * 64 characters a line, between BEGIN and END lines, for email, chat, paper and QR codes. The
 * strict reader and writer are shared with key cards in `src/armor/`.
 */
import { armorBlock, armorBlockStream, armorBeginLine, armorEndLine, dearmorBlockStream } from '../armor/ascii-armor.js';
import { collectBytes, toAsyncIterable, type ByteSource } from './byte-source.js';

const LABEL = 'ENVELOPE';
/** The BEGIN line of an armored envelope. */
export const ARMOR_BEGIN = armorBeginLine(LABEL);
/** The END line of an armored envelope. */
export const ARMOR_END = armorEndLine(LABEL);

/**
 * Armor a binary envelope as text (SPEC section 8), for email, chat or paper. {@link open} and
 * {@link inspect} take the armored text as it is.
 * @throws {TypeError} if `envelope` is not a Uint8Array.
 * @example
 * ```ts
 * import { armor, dearmor, generateIdentityKeys, open, seal } from 'lintas';
 *
 * const keys = await generateIdentityKeys();
 * const envelope = await seal(new TextEncoder().encode('hi'), { recipients: [keys.x25519], sender: keys.signing });
 * const text = armor(envelope);
 * console.log(text.split('\n')[0]); // -----BEGIN LINTAS ENVELOPE-----
 * console.assert((await dearmor(text)).length === envelope.length);
 * console.assert((await open(text, { keys: [keys.x25519] })).payload.length === 2);
 * ```
 */
export function armor(envelope: Uint8Array): string {
  if (!(envelope instanceof Uint8Array)) throw new TypeError('envelope must be a Uint8Array');
  return armorBlock(LABEL, envelope);
}

/**
 * Armor a stream of envelope bytes (e.g. from {@link sealStream}), yielding UTF-8 text chunks.
 * @throws {TypeError} if `envelope` is not a {@link ByteSource}.
 */
export async function* armorStream(envelope: ByteSource): AsyncGenerator<Uint8Array> {
  yield* armorBlockStream(LABEL, toAsyncIterable(envelope, 'envelope'));
}

/**
 * Decode an armored envelope (whole text) to the binary envelope. Rarely needed: {@link open} and
 * {@link inspect} accept armor directly.
 * @throws {TypeError} if `text` is neither a string nor bytes.
 * @throws {@link LintasError} `ERR_ARMOR_MALFORMED` for anything SPEC section 8 does not allow.
 */
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
 * @throws {@link LintasError} `ERR_ARMOR_MALFORMED`, from the iteration.
 */
export async function* dearmorStream(text: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* dearmorBlockStream(LABEL, text);
}
