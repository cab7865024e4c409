/**
 * Constants of envelope format v1: magic, context strings and the normative limits
 * (SPEC sections 1, 3 and 7). Changing any value here changes bytes on the wire.
 */

/** "LINTAS" in ASCII: the first six bytes of every binary envelope. */
export const MAGIC = new Uint8Array([0x4c, 0x49, 0x4e, 0x54, 0x41, 0x53]);
/** The format version this library writes and reads. */
export const FORMAT_VERSION = 1;
/** Magic (6) + version (1) + header length (4). */
export const PREFIX_BYTES = 11;
/** HMAC-SHA-256 tag after the header. */
export const HEADER_MAC_BYTES = 32;
export const FILE_KEY_BYTES = 32;
export const SALT_BYTES = 32;
export const COMMIT_BYTES = 32;
export const ENVELOPE_ID_BYTES = 16;
export const RECIPIENT_ID_BYTES = 32;
/** An Ed25519 signature, and so a checkpoint slot (SPEC 5.7). */
export const CHECKPOINT_BYTES = 64;
/**
 * The plaintext stream is cut into windows of this many bytes, each ending in a checkpoint
 * (SPEC 5.5, 5.7): 4 MiB, a multiple of every chunk size, so windows end on chunk boundaries. A
 * streaming reader holds one window before it may release it.
 */
export const WINDOW_BYTES = 1 << 22;

/** HKDF info strings (SPEC section 3). Each derived key has exactly one. */
export const CONTEXT = {
  headerMac: 'lintas/v1 header mac',
  commitment: 'lintas/v1 key commitment',
  meta: 'lintas/v1 meta',
  payload: 'lintas/v1 payload',
  x25519Wrap: 'lintas/v1 X25519 wrap',
  xwingWrap: 'lintas/v1 X-Wing wrap',
  checkpoint: 'lintas/v1 checkpoint',
} as const;

/** Normative limits (SPEC section 7). A reader rejects anything beyond them before doing crypto. */
export const LIMITS = {
  /** Largest header (the CBOR map) in bytes. */
  maxHeaderBytes: 2 * 1024 * 1024,
  /** Most stanzas in one header, dummies included. */
  maxStanzas: 1024,
  /** Largest stanza: UTF-8 bytes of its type + recipient id + every arg + body (CBOR heads not counted). */
  maxStanzaBytes: 2048,
  /** Longest stanza type name in bytes. */
  maxStanzaTypeBytes: 32,
  /** Most arguments in one stanza. */
  maxStanzaArgs: 4,
  /** Largest encrypted meta block in bytes. */
  maxMetaBytes: 128 * 1024,
  /** Deepest CBOR nesting in a header or meta block. */
  maxCborDepth: 4,
  /** Most entries one CBOR array or map in a header or meta block may declare (the stanza and "to" limits). */
  maxCborLength: 1024,
  /**
   * Most CBOR data items in a header or meta block: the most a valid header holds, 11 for the map
   * and its five entries plus 9 per stanza (array, type, rid, args array, 4 args, body) times 1,024.
   * With it, decoding work and memory are linear in the bytes whatever they hold (SPEC 2 rule 9).
   */
  maxCborItems: 11 + 9 * 1024,
  /** Smallest and largest chunk size exponent: chunks of 4 KiB to 1 MiB. */
  minChunkExponent: 12,
  /** Largest chunk size exponent (1 MiB chunks). */
  maxChunkExponent: 20,
  /** Longest content type in bytes. */
  maxContentTypeBytes: 256,
} as const;

/** The chunk size exponent sealers use unless told otherwise (64 KiB chunks). */
export const DEFAULT_CHUNK_EXPONENT = 16;
/** How far in the future an envelope's creation time may be before it is refused (seconds). */
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 300;
