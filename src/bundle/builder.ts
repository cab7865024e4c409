/**
 * Building a bundle: title, summary, markings, expiry and items, checked as they are added so
 * mistakes surface where they are made (a bad item name, a STIX file that is not STIX, STIX
 * content marked more restrictively than the bundle).
 */
import { LintasError } from '../errors/index.js';
import { sha256, createSha256 } from '../crypto/hash.js';
import { checkMarkings, checkReleasability, tlpRank, type HandlingMarkings, type NormalizedMarkings, type Releasability } from '../policy/markings.js';
import { toAsyncIterable, type ByteSource } from '../envelope/byte-source.js';
import { BUNDLE_LIMITS, STIX_MEDIA_TYPE, TEXT_MEDIA_TYPE } from './constants.js';
import { itemNameProblem, mediaTypeProblem, summaryProblem, titleProblem, type ManifestItem } from './manifest.js';
import { parseStixBundle, type StixBundle } from './stix.js';

/** What a bundle says about itself. */
export interface BundleOptions {
  /** Short title shown in inboxes, e.g. "Poison Ivy C2 infrastructure update". */
  title: string;
  /** Free-text summary readable without opening any item. */
  summary?: string;
  /**
   * Handling markings (TLP, classification, REL TO, caveats): the rules the policy enforces on every
   * recipient.
   */
  markings: HandlingMarkings;
  /** After this time the bundle is reported as expired and may no longer be forwarded. */
  expiresAt?: Date;
}

/** Per-item options. */
export interface ItemOptions {
  /**
   * The item's own "REL TO" list (selective release): recipients not covered do not receive this
   * item's bytes or see it in their manifest. It narrows the bundle's markings, never widens them.
   */
  releasableTo?: Releasability;
}

/**
 * An item whose bytes are read when the bundle is sealed, e.g. a large file. The manifest comes
 * first in the payload, so size and SHA-256 must be known up front: {@link describeItemSource}
 * computes them, or `lintas/node`'s `fileItemSource` for a file on disk. Sealing reads the
 * source again (once per delivery) and fails with `ERR_BUNDLE_ITEM_MISMATCH` if it changed.
 */
export interface ItemSource {
  /** Item name as recipients will save it (SPEC 12.3: no path separators, unique in the bundle). */
  name: string;
  /** Media type, e.g. `application/pdf`. */
  mediaType: string;
  /** Exact size in bytes. */
  size: number;
  /** SHA-256 of the bytes; sealing refuses the item if the bytes read then differ. */
  sha256: Uint8Array;
  /** A fresh stream of the item's bytes each time it is called. */
  open: () => ByteSource;
}

/** An item ready for sealing. */
export interface DraftItem extends ManifestItem {
  open: () => AsyncIterable<Uint8Array>;
  /** STIX items: marking-definitions lintas cannot read (SPEC 12.5 `stix-unknown-marking`); else empty. */
  unknownMarkings: string[];
}

/** A checked bundle, as the sealing code consumes it. */
export interface BundleDraft {
  title: string;
  summary: string;
  markings: NormalizedMarkings;
  expires: Date | null;
  items: DraftItem[];
}

const drafts = new WeakMap<BundleBuilder, BundleDraft>();

/** The draft behind a builder (for the sealing code; not part of the public API). */
export function bundleDraftOf(builder: BundleBuilder): BundleDraft {
  const d = drafts.get(builder);
  if (!d) throw new TypeError('expected a BundleBuilder');
  return d;
}

function checkText(value: unknown, what: string, problem: (s: string) => string | null): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  const text = value.normalize('NFC');
  const p = problem(text);
  if (p) throw new RangeError(`${what} ${p}`);
  return text;
}

/** Builds a bundle. Every `add*` method checks its item and returns the builder. */
export class BundleBuilder {
  /**
   * @throws {TypeError | RangeError} for a missing or unacceptable title, summary, markings or expiry.
   */
  constructor(options: BundleOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const title = checkText(options.title, 'options.title', titleProblem);
    const summary = options.summary === undefined ? '' : checkText(options.summary, 'options.summary', summaryProblem);
    const markings = checkMarkings(options.markings, 'options.markings');
    let expires: Date | null = null;
    if (options.expiresAt !== undefined) {
      if (!(options.expiresAt instanceof Date) || Number.isNaN(options.expiresAt.getTime())) throw new TypeError('options.expiresAt must be a valid Date');
      expires = new Date(Math.floor(options.expiresAt.getTime() / 1000) * 1000);
    }
    drafts.set(this, { title, summary, markings, expires, items: [] });
  }

  /** Names, media types and sizes of the items added so far. */
  get items(): readonly {
    /** Item name. */
    name: string;
    /** Media type. */
    mediaType: string;
    /** Size in bytes. */
    size: number;
  }[] {
    return bundleDraftOf(this).items.map(({ name, mediaType, size }) => ({ name, mediaType, size }));
  }

  /**
   * Add a text report (UTF-8, `text/plain;charset=utf-8`).
   * @throws {TypeError | RangeError} for a bad name or text, a duplicate name or too many items.
   */
  addText(name: string, text: string, options?: ItemOptions): this {
    if (typeof text !== 'string') throw new TypeError('text must be a string');
    if (/[\ud800-\udfff]/u.test(text)) throw new RangeError('text contains an unpaired surrogate, which UTF-8 cannot carry');
    return this.addBytes(name, TEXT_MEDIA_TYPE, new TextEncoder().encode(text), options);
  }

  /**
   * Add an item held in memory. The bytes are copied. STIX goes through {@link BundleBuilder.addStix}.
   * @throws {TypeError | RangeError} for a bad name or media type, a duplicate name or too many items.
   */
  addBytes(name: string, mediaType: string, bytes: Uint8Array, options?: ItemOptions): this {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
    if (typeof mediaType === 'string' && isStixMediaType(mediaType)) throw new TypeError('STIX items must be added with addStix, which checks them');
    const copy = bytes.slice();
    return this.push(name, mediaType, copy.length, sha256(copy), () => single(copy), options);
  }

  /**
   * Add a STIX 2.1 bundle (JSON text, UTF-8 bytes or a parsed object). It is checked for shape
   * and marking references, and refused if its content carries a TLP marking more restrictive
   * than the bundle's, in any form (SPEC 12.4: fixed ids, custom TLP 1.0 and 2.0 definitions).
   * Markings lintas cannot read make sealing below TLP:AMBER need an override (SPEC 12.5). The
   * bytes are carried unchanged (an object is serialised with JSON.stringify).
   * @throws {@link LintasError} `ERR_BUNDLE_STIX_INVALID`, `ERR_BUNDLE_MARKING_CONFLICT`.
   * @throws {TypeError | RangeError} as {@link BundleBuilder.addBytes}.
   */
  addStix(name: string, stix: string | Uint8Array | StixBundle, options?: ItemOptions): this {
    let bytes: Uint8Array;
    if (typeof stix === 'string') bytes = new TextEncoder().encode(stix);
    else if (stix instanceof Uint8Array) bytes = stix.slice();
    else if (stix !== null && typeof stix === 'object') bytes = new TextEncoder().encode(JSON.stringify(stix));
    else throw new TypeError('stix must be JSON text, UTF-8 bytes or a STIX bundle object');
    if (bytes.length > BUNDLE_LIMITS.maxStixBytes) throw new RangeError(`STIX items are limited to ${BUNDLE_LIMITS.maxStixBytes} bytes; send larger STIX as a plain file`);
    const { summary } = parseStixBundle(bytes);
    const markings = bundleDraftOf(this).markings;
    if (summary.tlp !== null && tlpRank(summary.tlp) > tlpRank(markings.tlp)) {
      throw new LintasError(
        'ERR_BUNDLE_MARKING_CONFLICT',
        `STIX item "${name}" contains content marked TLP:${summary.tlp}, more restrictive than the bundle's TLP:${markings.tlp}; raise the bundle's TLP or remove that content`,
      );
    }
    return this.push(name, STIX_MEDIA_TYPE, bytes.length, sha256(bytes), () => single(bytes), options, summary.unknownMarkings);
  }

  /**
   * Add an item that is read when the bundle is sealed (see {@link ItemSource}). STIX must be
   * added with {@link BundleBuilder.addStix}, which checks it.
   * @throws {TypeError | RangeError} for a malformed source, a STIX media type, a duplicate name or too many items.
   */
  addFile(source: ItemSource, options?: ItemOptions): this {
    if (source === null || typeof source !== 'object' || typeof source.open !== 'function') throw new TypeError('source must be an ItemSource { name, mediaType, size, sha256, open }');
    if (typeof source.size !== 'number') throw new TypeError('source.size must be a number');
    if (!Number.isSafeInteger(source.size) || source.size < 0) throw new RangeError('source.size must be a non-negative safe integer');
    if (!(source.sha256 instanceof Uint8Array)) throw new TypeError('source.sha256 must be a Uint8Array');
    if (source.sha256.length !== 32) throw new RangeError('source.sha256 must be 32 bytes');
    if (typeof source.mediaType === 'string' && isStixMediaType(source.mediaType)) {
      throw new TypeError('STIX items must be added with addStix, which checks them');
    }
    const open = source.open;
    return this.push(source.name, source.mediaType, source.size, source.sha256.slice(), () => toAsyncIterable(open(), 'item source'), options);
  }

  private push(name: unknown, mediaType: unknown, size: number, digest: Uint8Array, open: () => AsyncIterable<Uint8Array>, options: ItemOptions | undefined, unknownMarkings: string[] = []): this {
    const draft = bundleDraftOf(this);
    const itemName = checkText(name, 'name', itemNameProblem);
    if (typeof mediaType !== 'string') throw new TypeError('mediaType must be a string');
    const p = mediaTypeProblem(mediaType);
    if (p) throw new RangeError(`mediaType ${p}`);
    if (draft.items.some((i) => i.name === itemName)) throw new RangeError(`an item named "${itemName}" is already in the bundle`);
    if (draft.items.length >= BUNDLE_LIMITS.maxItems) throw new RangeError(`a bundle holds at most ${BUNDLE_LIMITS.maxItems} items`);
    if (options !== undefined && (options === null || typeof options !== 'object')) throw new TypeError('options must be an object');
    const releasableTo = options?.releasableTo === undefined ? null : checkReleasability(options.releasableTo, 'options.releasableTo');
    const total = draft.items.reduce((n, i) => n + i.size, size);
    if (!Number.isSafeInteger(total)) throw new RangeError('the items add up to more than 2^53 - 1 bytes');
    draft.items.push({ name: itemName, mediaType, size, sha256: digest, releasableTo, open, unknownMarkings });
    return this;
  }
}

/** True for the STIX 2.1 media type, however spaced or cased. */
export function isStixMediaType(mediaType: string): boolean {
  return mediaType.replace(/\s+/g, '').toLowerCase() === STIX_MEDIA_TYPE;
}

async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/**
 * Describe an item by reading it once: size and SHA-256, for {@link BundleBuilder.addFile}.
 * @throws {TypeError} if `open` is not a function or does not return a byte source.
 */
export async function describeItemSource(name: string, mediaType: string, open: () => ByteSource): Promise<ItemSource> {
  if (typeof open !== 'function') throw new TypeError('open must be a function returning a byte source');
  const hash = createSha256();
  let size = 0;
  for await (const chunk of toAsyncIterable(open(), 'item source')) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('item source chunks must be Uint8Array');
    hash.update(chunk);
    size += chunk.length;
  }
  return { name, mediaType, size, sha256: hash.digest(), open };
}
