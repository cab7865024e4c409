/**
 * The in-memory index of a `FileReplayGuard`: an open-addressing hash table (linear
 * probing) of 16-byte tags and the time each must be kept until, in two flat typed arrays, about
 * 35 to 70 bytes per id (a `Set` of hex strings took ~690). Tags are keyed hashes (HMAC with the
 * log's secret salt), so an attacker who chooses envelope ids cannot aim them at one probe chain;
 * the slot is taken straight from the tag's first word.
 */

/** Tags are 16 bytes: 4 words. */
const TAG_WORDS = 4;
/** Grow at 70% full: linear probing stays short with uniformly random tags. */
const MAX_LOAD = 0.7;
const MIN_CAPACITY = 1024;

/** A set of 16-byte tags, each with the unix time (seconds; Infinity: forever) it is kept until. */
export class ReplayTable {
  private tags: Uint32Array;
  /** 0 marks an empty slot (no record is kept until 1970). */
  private until: Float64Array;
  private mask: number;
  private count = 0;

  constructor(expected = 0) {
    let capacity = MIN_CAPACITY;
    while (capacity * MAX_LOAD < expected) capacity *= 2;
    this.tags = new Uint32Array(capacity * TAG_WORDS);
    this.until = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  /** Number of tags. */
  get size(): number {
    return this.count;
  }

  /** Bytes of memory the table holds. */
  get bytes(): number {
    return this.tags.byteLength + this.until.byteLength;
  }

  /** True if the tag at `view[offset..offset+16]` is in the table. */
  has(view: DataView, offset: number): boolean {
    return this.find(view.getUint32(offset, true), view.getUint32(offset + 4, true), view.getUint32(offset + 8, true), view.getUint32(offset + 12, true)) >= 0;
  }

  /**
   * Add the tag at `view[offset..offset+16]`, kept until `until`; a tag already there keeps the
   * later of the two times. False if it was there.
   */
  add(view: DataView, offset: number, until: number): boolean {
    const a = view.getUint32(offset, true);
    const b = view.getUint32(offset + 4, true);
    const c = view.getUint32(offset + 8, true);
    const d = view.getUint32(offset + 12, true);
    const found = this.find(a, b, c, d);
    if (found >= 0) {
      if (until > this.until[found]!) this.until[found] = until;
      return false;
    }
    if (this.count + 1 > (this.mask + 1) * MAX_LOAD) this.grow();
    this.insert(a, b, c, d, until);
    return true;
  }

  /** The occupied slots, for {@link ReplayTable.tagAt} and {@link ReplayTable.untilAt}. */
  *slots(): Generator<number> {
    for (let s = 0; s <= this.mask; s++) if (this.until[s] !== 0) yield s;
  }

  /** Write the tag of `slot` to `view[offset..offset+16]`. */
  tagAt(slot: number, view: DataView, offset: number): void {
    const w = slot * TAG_WORDS;
    for (let i = 0; i < TAG_WORDS; i++) view.setUint32(offset + 4 * i, this.tags[w + i]!, true);
  }

  /** The time `slot` is kept until. */
  untilAt(slot: number): number {
    return this.until[slot]!;
  }

  private find(a: number, b: number, c: number, d: number): number {
    for (let s = a & this.mask; ; s = (s + 1) & this.mask) {
      if (this.until[s] === 0) return -1;
      const w = s * TAG_WORDS;
      if (this.tags[w] === a && this.tags[w + 1] === b && this.tags[w + 2] === c && this.tags[w + 3] === d) return s;
    }
  }

  private insert(a: number, b: number, c: number, d: number, until: number): void {
    let s = a & this.mask;
    while (this.until[s] !== 0) s = (s + 1) & this.mask;
    const w = s * TAG_WORDS;
    this.tags[w] = a;
    this.tags[w + 1] = b;
    this.tags[w + 2] = c;
    this.tags[w + 3] = d;
    this.until[s] = until;
    this.count++;
  }

  private grow(): void {
    const oldTags = this.tags;
    const oldUntil = this.until;
    const capacity = (this.mask + 1) * 2;
    this.tags = new Uint32Array(capacity * TAG_WORDS);
    this.until = new Float64Array(capacity);
    this.mask = capacity - 1;
    this.count = 0;
    for (let s = 0; s < oldUntil.length; s++) {
      const u = oldUntil[s]!;
      if (u === 0) continue;
      const w = s * TAG_WORDS;
      this.insert(oldTags[w]!, oldTags[w + 1]!, oldTags[w + 2]!, oldTags[w + 3]!, u);
    }
  }
}
