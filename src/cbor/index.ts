export { encodeCanonical, decodeCanonical, CborDecodeError, DEFAULT_MAX_DEPTH } from './canonical.js';
export type { CborValue, CborMap, CborErrorReason, DecodeOptions } from './canonical.js';
