/**
 * Loads the Wycheproof vector files copied into test/vectors/wycheproof/ (see the README there).
 * Kept in the repository so `npm test` works from a clean clone without network access.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The fields every Wycheproof test case has; the rest depend on the schema. */
export interface WycheproofCase {
  tcId: number;
  comment?: string;
  flags?: string[];
  result: 'valid' | 'invalid' | 'acceptable';
}

export interface WycheproofGroup<T extends WycheproofCase> {
  type: string;
  tests: T[];
  [field: string]: unknown;
}

export interface WycheproofFile<T extends WycheproofCase, G = Record<string, unknown>> {
  algorithm: string;
  numberOfTests: number;
  testGroups: (WycheproofGroup<T> & G)[];
}

/** Parse `test/vectors/wycheproof/<name>` and check that its declared case count is honest. */
export function loadWycheproof<T extends WycheproofCase, G = Record<string, unknown>>(name: string): WycheproofFile<T, G> {
  const path = fileURLToPath(new URL(`../vectors/wycheproof/${name}`, import.meta.url));
  const file = JSON.parse(readFileSync(path, 'utf8')) as WycheproofFile<T, G>;
  const counted = file.testGroups.reduce((n, g) => n + g.tests.length, 0);
  if (counted !== file.numberOfTests) throw new Error(`${name}: numberOfTests says ${file.numberOfTests}, found ${counted}`);
  return file;
}

/** Every case of a file with its group, in file order. */
export function allCases<T extends WycheproofCase, G>(file: WycheproofFile<T, G>): { group: WycheproofGroup<T> & G; test: T }[] {
  return file.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test })));
}

export function hex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(s)) throw new Error(`not hex: ${s.slice(0, 20)}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Human-readable label for a case, used in assertion messages. */
export function label(t: WycheproofCase): string {
  return `tcId ${t.tcId} (${t.result}; ${(t.flags ?? []).join(',') || 'no flags'}${t.comment ? `; ${t.comment}` : ''})`;
}
