/**
 * A {@link Quarantine} in a folder (Node only): each refused delivery becomes two files,
 * `TIME-DELIVERY.lintas` (the envelope bytes as received, mode 0600) and
 * `TIME-DELIVERY.reason.txt` (`CODE: message`). An envelope a receive loop spooled to a file
 * (its `read` option) is moved in rather than copied, so a large one is never held in memory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Quarantine } from './quarantine.js';
import type { RejectedDelivery } from './receive-envelopes.js';

/**
 * An envelope already in a file (e.g. spooled by a receive loop's `read`): `keepAs` moves it to
 * `path`, on the same file system, after which it is no longer the receive loop's to remove.
 */
export interface EnvelopeInFile {
  /** Move the file to `path` (the quarantine's name for it); resolve once it is there. */
  keepAs(path: string): Promise<void> | void;
}

/** Keeps refused deliveries as files in a folder (created on first use, mode 0700). */
export class DirectoryQuarantine implements Quarantine<Uint8Array | EnvelopeInFile> {
  /** The folder (absolute). */
  readonly dir: string;
  /** Paths of the envelopes kept by this instance, oldest first. */
  readonly kept: string[] = [];

  /** @param dir - The folder to keep refused deliveries in. */
  constructor(dir: string) {
    if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a folder path');
    this.dir = resolve(dir);
  }

  /** Write the envelope (or move its file here) and its reason. */
  async put(rejected: RejectedDelivery<Uint8Array | EnvelopeInFile>): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // The delivery id comes from the transport (for a relay: from the network); keep it file-safe.
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${rejected.deliveryId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}`;
    const path = join(this.dir, `${name}.lintas`);
    if (rejected.envelope instanceof Uint8Array) await writeFile(path, rejected.envelope, { mode: 0o600 });
    else await rejected.envelope.keepAs(path);
    await writeFile(join(this.dir, `${name}.reason.txt`), `${rejected.error.code}: ${rejected.error.message}\n`, { mode: 0o600 });
    this.kept.push(path);
  }
}
