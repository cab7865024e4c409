/** The replay log's in-memory hash table against a plain Set, through growth and duplicates. */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ReplayTable } from '../../src/transports/replay-table.js';

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('ReplayTable', () => {
  it('holds exactly the tags added, through several growths, and keeps the later time of a duplicate', () => {
    const table = new ReplayTable();
    const added = new Map<string, number>();
    const tags: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) {
      const tag = randomBytes(16);
      tags.push(tag);
      expect(table.add(view(tag), 0, 1000 + i)).toBe(true);
      added.set(tag.toString('hex'), 1000 + i);
    }
    expect(table.add(view(tags[5]!), 0, 1)).toBe(false); // earlier time: kept as it was
    expect(table.add(view(tags[6]!), 0, Infinity)).toBe(false); // later: extended
    added.set(tags[6]!.toString('hex'), Infinity);
    expect(table.size).toBe(20_000);
    for (const tag of tags) expect(table.has(view(tag), 0)).toBe(true);
    for (let i = 0; i < 2000; i++) expect(table.has(view(randomBytes(16)), 0)).toBe(false);
    const out = new Map<string, number>();
    const scratch = new Uint8Array(16);
    for (const slot of table.slots()) {
      table.tagAt(slot, view(scratch), 0);
      out.set(Buffer.from(scratch).toString('hex'), table.untilAt(slot));
    }
    expect(out).toEqual(added);
  });

  it('tells apart tags that share their first word (the slot)', () => {
    const table = new ReplayTable();
    const a = new Uint8Array(16).fill(1);
    const b = new Uint8Array(16).fill(1);
    b[15] = 2;
    table.add(view(a), 0, 5);
    expect(table.has(view(b), 0)).toBe(false);
    table.add(view(b), 0, 6);
    expect([table.has(view(a), 0), table.has(view(b), 0), table.size]).toEqual([true, true, 2]);
  });
});
