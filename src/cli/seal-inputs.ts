/**
 * What `lintas seal` checks about its FILE arguments before sealing (docs/CLI.md, "Seal
 * options"): a file that is itself a lintas envelope or armored lintas block is almost always a
 * mistake (re-sealing a received bundle loses its originator and bypasses the forwarding rules of
 * SPEC 12.6: `lintas forward` exists for that), so it is warned about; a STIX 2.1 bundle given as
 * a plain file would skip the STIX checks and the comparison of its markings with `--tlp`, so it
 * is refused with the option to use instead.
 */
import { open } from 'node:fs/promises';
import { MAGIC } from '../envelope/constants.js';
import { usageError } from './options.js';

/** Enough of a file to recognise an envelope, armor or the start of a STIX bundle. */
const SNIFF_BYTES = 4096;

async function head(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buf = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The binary magic "LINTAS" (SPEC 3.1), or an armor line "-----BEGIN LINTAS ..." (SPEC 8). */
function isLintasData(bytes: Uint8Array): boolean {
  if (bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b)) return true;
  return /^\s*-----BEGIN LINTAS [A-Z ]+-----/.test(new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 200)));
}

/** A JSON object whose top level says `"type": "bundle"` with a STIX bundle id (STIX 2.1, 8.1). */
export function looksLikeStixBundle(bytes: Uint8Array): boolean {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '');
  return /^\s*\{/.test(text) && /"type"\s*:\s*"bundle"/.test(text) && /"id"\s*:\s*"bundle--/.test(text);
}

/**
 * Check the FILE arguments of `seal`; returns the warnings to show (and report in --json).
 * @throws {LintasError} `ERR_USAGE` for a STIX bundle given as a plain file.
 */
export async function checkSealInputs(files: string[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const file of files) {
    const bytes = await head(file);
    if (isLintasData(bytes)) {
      warnings.push(`${file} is itself a lintas envelope or armored lintas data: sealing it again hides its originator and its handling rules; to pass on a bundle you received, use "lintas forward ${file} --to ..."`);
    } else if (looksLikeStixBundle(bytes)) {
      throw usageError(`${file} is a STIX 2.1 bundle: pass it with --stix ${file}, so it is checked and its markings compared with --tlp`);
    }
  }
  return warnings;
}
