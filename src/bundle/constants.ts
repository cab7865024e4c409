/**
 * Fixed values of the bundle format v1 (SPEC section 12): media types, signature context
 * strings and limits.
 */

/** Envelope content type of a bundle payload. */
export const BUNDLE_CONTENT_TYPE = 'application/vnd.lintas.bundle';
/** Version of the bundle payload format (the `v` field of the head and the manifest). */
export const BUNDLE_FORMAT_VERSION = 1;
/** Media type of STIX 2.1 items. */
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';
/** Media type of text report items. */
export const TEXT_MEDIA_TYPE = 'text/plain;charset=utf-8';

/** Context of the originator's signature over the manifest. */
export const MANIFEST_SIGNATURE_CONTEXT = 'lintas/v1 bundle manifest';
/** Context of a forwarder's signature over a forward record. */
export const FORWARD_SIGNATURE_CONTEXT = 'lintas/v1 bundle forward';

/** Size of a bundle id. */
export const BUNDLE_ID_BYTES = 16;

/** Limits a reader enforces before allocating anything (SPEC 12.2 and 12.3). */
export const BUNDLE_LIMITS = {
  /** Largest head (manifest, signature and forward records), in bytes. */
  maxHeadBytes: 1 << 20,
  /** Most items in one bundle. */
  maxItems: 1024,
  /** Longest item name, in UTF-8 bytes. */
  maxItemNameBytes: 255,
  /** Longest media type, in bytes. */
  maxMediaTypeBytes: 255,
  /** Longest title, in UTF-8 bytes. */
  maxTitleBytes: 1024,
  /** Longest summary, in UTF-8 bytes. */
  maxSummaryBytes: 64 * 1024,
  /** Forward hops a bundle may carry. */
  maxForwards: 32,
  /** Recipients named in one forward record. */
  maxForwardRecipients: 1024,
  /** Largest STIX item, which must be parsed whole to be checked. */
  maxStixBytes: 64 * 1024 * 1024,
} as const;
