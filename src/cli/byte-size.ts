/**
 * Byte sizes on the command line (`--max-envelope 2GiB`): a whole number of bytes, or a number
 * with a binary unit (KiB, MiB, GiB, TiB; K, M, G, T and KB, MB, GB, TB mean the same here).
 */
import { stringOption, usageError, type CommandInput } from './options.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/**
 * Parse "67108864", "64MiB", "1.5 GiB".
 * @throws {LintasError} `ERR_USAGE` for anything else, zero, or more than 2^53 - 1 bytes.
 */
export function parseByteSize(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw usageError(`--${option} must be a size such as 64MiB, 2GiB or a number of bytes; got "${text}"`);
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw usageError(`--${option} must be a positive size below 8 PiB; got "${text}"`);
  return bytes;
}

/** The value of a size option, or undefined if not given. */
export function byteSizeOption(input: CommandInput, name: string): number | undefined {
  const text = stringOption(input, name);
  return text === undefined ? undefined : parseByteSize(text, name);
}
