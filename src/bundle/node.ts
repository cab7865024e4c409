/**
 * Node.js helpers for bundles: describe a file on disk as a bundle item without loading it.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { describeItemSource, type ItemSource } from './builder.js';

/**
 * Describe a file as a bundle item: reads it once (streamed) for its size and SHA-256; sealing
 * streams it again and refuses it with `ERR_BUNDLE_ITEM_MISMATCH` if it changed in between.
 * @throws {TypeError} for malformed arguments; file system errors as Node reports them.
 */
export async function fileItemSource(path: string, options: { mediaType?: string; name?: string } = {}): Promise<ItemSource> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string');
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const open = (): AsyncIterable<Uint8Array> => createReadStream(path, { highWaterMark: 1 << 20 });
  return describeItemSource(options.name ?? basename(path), options.mediaType ?? 'application/octet-stream', open);
}
