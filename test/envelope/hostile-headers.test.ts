/**
 * Hostile headers (SPEC 2 rule 9, section 7): the decoder enforces its limits while it reads, so a
 * header of up to 2 MiB costs work and memory linear in its bytes, before any key is used, in
 * `open` and in the key-free `inspect` alike. The old decoder read a 2 MiB header of empty maps to
 * the end (about 2 s and 440 MiB) and only then counted the stanzas.
 *
 * No timings here (bench/hostile-headers.ts prints them): the bound asserted is how far the
 * decoder reads, which caps the items it builds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CborDecodeError } from '../../src/cbor/index.js';
import { LIMITS } from '../../src/envelope/constants.js';
import { decodeHeader, encodePrefix } from '../../src/envelope/header.js';
import { inspect, open } from '../../src/envelope/index.js';
import { LintasError } from '../../src/errors/index.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { generateIdentityKeys, type IdentityKeys } from '../../src/keys/index.js';
import { flatEmptyMaps, nestedEmptyMaps } from '../fixtures/hostile-headers.js';
import { expectCode } from './envelope-kit.js';

let bob: IdentityKeys;
beforeAll(async () => {
  bob = await generateIdentityKeys();
});

function decodeError(bytes: Uint8Array): LintasError {
  try {
    decodeHeader(bytes);
  } catch (e) {
    if (e instanceof LintasError) return e;
    throw e;
  }
  throw new Error('decodeHeader accepted a hostile header');
}

const envelopeAround = (header: Uint8Array): Uint8Array => concatBytes(encodePrefix(header.length), header, new Uint8Array(32 + 16));

describe('a 2 MiB header of empty maps is refused after a bounded amount of decoding', () => {
  const cases = [flatEmptyMaps(LIMITS.maxHeaderBytes), nestedEmptyMaps(LIMITS.maxHeaderBytes)];

  it.each(cases.map((c) => [c.name, c.bytes] as const))('%s: ERR_ENVELOPE_LIMIT_EXCEEDED, read no further than the item limit allows', (_name, bytes) => {
    expect(bytes.length).toBeGreaterThan(LIMITS.maxHeaderBytes / 2);
    const e = decodeError(bytes);
    expect(e.code).toBe('ERR_ENVELOPE_LIMIT_EXCEEDED');
    // Each empty map is one byte, so the decoder stopped within maxCborItems items (plus the
    // heads of the arrays holding them): it built at most that many values.
    expect(e.cause).toBeInstanceOf(CborDecodeError);
    expect((e.cause as CborDecodeError).offset).toBeLessThanOrEqual(LIMITS.maxCborItems + 3 * LIMITS.maxCborLength + 16);
  });

  it.each(cases.map((c) => [c.name, c.bytes] as const))('%s: open and the key-free inspect give the same code', async (_name, bytes) => {
    const env = envelopeAround(bytes);
    await expectCode(inspect(env), 'ERR_ENVELOPE_LIMIT_EXCEEDED');
    await expectCode(open(env, { keys: [bob.x25519] }), 'ERR_ENVELOPE_LIMIT_EXCEEDED');
  });

  it('a declared length is refused at its head, before any entry is read', () => {
    const e = decodeError(flatEmptyMaps(LIMITS.maxHeaderBytes).bytes);
    // 1 (map head) + 8 ("stanzas") + 5 (array head): the decoder stopped at the array's head.
    expect((e.cause as CborDecodeError).offset).toBe(14);
  });
});
