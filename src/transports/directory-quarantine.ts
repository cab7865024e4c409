/**
 * A {@link Quarantine} in a folder (Node only): each refused delivery becomes two files,
 * `TIME-DELIVERY.lintas` (the envelope bytes as received, mode 0600) and
 * `TIME-DELIVERY.reason.txt` (`CODE: message`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Quarantine } from './quarantine.js';
import type { RejectedDelivery } from './receive-envelopes.js';

/** Keeps refused deliveries as files in a folder (created on first use, mode 0700). */
export class DirectoryQuarantine implements Quarantine {
  /** The folder (absolute). */
  readonly dir: string;
  /** Paths of the envelopes kept by this instance, oldest first. */
  readonly kept: string[] = [];

  /** @param dir - The folder to keep refused deliveries in. */
  constructor(dir: string) {
    if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a folder path');
    this.dir = resolve(dir);
  }

  /** Write the envelope and its reason. */
  async put(rejected: RejectedDelivery): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // The delivery id comes from the transport (for a relay: from the network); keep it file-safe.
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${rejected.deliveryId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}`;
    const path = join(this.dir, `${name}.lintas`);
    await writeFile(path, rejected.envelope, { mode: 0o600 });
    await writeFile(join(this.dir, `${name}.reason.txt`), `${rejected.error.code}: ${rejected.error.message}\n`, { mode: 0o600 });
    this.kept.push(path);
  }
}
