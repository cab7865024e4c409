/**
 * DirectoryQuarantine: an envelope given as bytes is written to the folder; one already in a file
 * (a receive loop's `read` spooled it) is moved in with its `keepAs`, so a large refused envelope
 * is never read into memory. Both get their reason file.
 */
import { mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LintasError } from '../../src/index.js';
import { DirectoryQuarantine } from '../../src/node.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lintas-quarantine-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DirectoryQuarantine', () => {
  it('writes bytes, and moves an envelope that is already in a file, each with its reason', async () => {
    const q = new DirectoryQuarantine(join(dir, 'rejected'));
    await q.put({ deliveryId: 'd/1', envelope: new Uint8Array([1, 2, 3]), error: new LintasError('ERR_ENVELOPE_TAMPERED', 'tampered') });
    const spooled = join(dir, '.incoming-1.lintas');
    await writeFile(spooled, new Uint8Array([4, 5, 6]));
    await q.put({ deliveryId: 'd/2', envelope: { keepAs: (path: string) => rename(spooled, path) }, error: new LintasError('ERR_REPLAY_DETECTED', 'again') });
    expect(q.kept).toHaveLength(2);
    expect([...(await readFile(q.kept[0]!))]).toEqual([1, 2, 3]);
    expect([...(await readFile(q.kept[1]!))]).toEqual([4, 5, 6]);
    expect(await readdir(dir)).not.toContain('.incoming-1.lintas');
    expect(await readFile(q.kept[1]!.replace(/\.lintas$/, '.reason.txt'), 'utf8')).toMatch(/^ERR_REPLAY_DETECTED: /);
  });
});
