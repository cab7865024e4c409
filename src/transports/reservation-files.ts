/**
 * Where a `FileReplayGuard` keeps its reservations (docs/TRANSPORTS.md 4, "Replay guards").
 * Opened "shared": one small file per reserved id in `<log>.reserved/`, named by the id's keyed tag (so the folder does not
 * list envelope ids either), holding `<token>:<holdMs>`; its modification time is the last
 * renewal. The guard touches them only under its log's lock (shared) or its operation queue
 * (exclusive), so reading then writing one is atomic for every receiver of the log.
 *
 * Not fsynced: a reservation lost in a crash only lets another receiver handle the envelope,
 * which at-least-once allows (the remembered id, not the reservation, is what must be durable).
 * Opened "exclusive", no other process can use the log, so a map in memory is enough.
 */
import { mkdir, readFile, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from './durable-file.js';

/** A reservation as found on disk; `token` null if the file is damaged (its writer died mid-write). */
export interface StoredReservation {
  token: string | null;
  holdMs: number;
  /** When it was written or last renewed (ms since 1970, the file system's clock). */
  renewedAt: number;
}

const CONTENT = /^([A-Za-z0-9_-]{1,64}):([0-9]{1,8})$/;

/** The reservations of one replay log. */
export interface ReservationStore {
  /** The reservation of `name`, or null if there is none. */
  get(name: string): Promise<StoredReservation | null>;
  /** Write (or renew) the reservation of `name`. */
  put(name: string, token: string, holdMs: number): Promise<void>;
  /** Remove the reservation of `name`, if any. */
  remove(name: string): Promise<void>;
}

/** Reservations of a log that one process holds ("exclusive"). */
export class ReservationMemory implements ReservationStore {
  private readonly held = new Map<string, StoredReservation>();

  /** @inheritdoc */
  async get(name: string): Promise<StoredReservation | null> {
    return this.held.get(name) ?? null;
  }

  /** @inheritdoc */
  async put(name: string, token: string, holdMs: number): Promise<void> {
    this.held.set(name, { token, holdMs, renewedAt: Date.now() });
  }

  /** @inheritdoc */
  async remove(name: string): Promise<void> {
    this.held.delete(name);
  }
}

/** Reservations of a log that processes share ("shared"): files beside it. */
export class ReservationFiles implements ReservationStore {
  constructor(private readonly dir: string) {}

  /** The reservation of `name`, or null if there is none. */
  async get(name: string): Promise<StoredReservation | null> {
    const path = join(this.dir, name);
    let content: string;
    let renewedAt: number;
    try {
      [content, renewedAt] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mtimeMs)]);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return null;
      throw e;
    }
    const m = CONTENT.exec(content);
    return m ? { token: m[1]!, holdMs: Number(m[2]), renewedAt } : { token: null, holdMs: 0, renewedAt };
  }

  /** Write (or renew) the reservation of `name`. */
  async put(name: string, token: string, holdMs: number): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, name), `${token}:${holdMs}`);
  }

  /** Remove the reservation of `name`, if any. */
  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((e: unknown) => {
      if (!isErrno(e, 'ENOENT')) throw e;
    });
  }

  /**
   * Remove reservations not renewed for `olderThanMs` (of receivers that died and whose envelope
   * never came back), so the folder does not grow without bound.
   */
  async sweep(olderThanMs: number): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const cutoff = Date.now() - olderThanMs;
    for (const name of names) {
      const path = join(this.dir, name);
      const renewedAt = await stat(path).then((s) => s.mtimeMs, () => Infinity);
      if (renewedAt < cutoff) await unlink(path).catch(() => undefined);
    }
  }
}
