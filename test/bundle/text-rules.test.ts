/**
 * The text rules of SPEC 12.3–12.4 and docs/KEYRING.md, defined by Unicode property so that two
 * implementations agree (src/text/display-text.ts), and the media-type ABNF of SPEC 12.3. Every
 * checker of displayed text refuses the same characters: before, a title refused U+2028 but took
 * U+200F, a summary refused U+202E, and an item type took "text/plain\r\n;x=y" and "a/b; x=y".
 */
import { describe, expect, it } from 'vitest';
import { itemNameProblem, mediaTypeProblem, summaryProblem, titleProblem } from '../../src/bundle/manifest.js';
import { markingTextProblem } from '../../src/policy/markings.js';
import { displayTextProblem } from '../../src/keyring/text-rules.js';

const checkers: [string, (s: string) => string | null][] = [
  ['bundle title', titleProblem],
  ['bundle summary', summaryProblem],
  ['item name', itemNameProblem],
  ['marking text', markingTextProblem],
  ['key card text', (s) => displayTextProblem(s, 256)],
];

// One or more per category of the rule: Cc, Cf (bidi and others), Zl, Zp, Default_Ignorable.
const hidden: [string, string][] = [
  ['U+0000 (Cc)', '\u0000'],
  ['U+001B escape (Cc)', '\u001b'],
  ['U+0085 next line (Cc)', '\u0085'],
  ['U+00AD soft hyphen (Cf)', '\u00ad'],
  ['U+061C Arabic letter mark (Bidi_Control)', '\u061c'],
  ['U+200B zero-width space (Cf)', '\u200b'],
  ['U+200D zero-width joiner (Cf)', '\u200d'],
  ['U+200F right-to-left mark (Bidi_Control)', '\u200f'],
  ['U+2028 line separator (Zl)', '\u2028'],
  ['U+2029 paragraph separator (Zp)', '\u2029'],
  ['U+202E right-to-left override (Bidi_Control)', '\u202e'],
  ['U+2066 left-to-right isolate (Bidi_Control)', '\u2066'],
  ['U+2064 invisible plus (Cf)', '\u2064'],
  ['U+3164 Hangul filler (Default_Ignorable)', '\u3164'],
  ['U+FE0F variation selector (Default_Ignorable)', '\ufe0f'],
  ['U+FEFF byte order mark (Cf)', '\ufeff'],
  ['U+E0041 tag letter (Cf)', '\u{e0041}'],
  ['a lone surrogate (Cs)', '\ud800'],
];

const visible = ['Laporan ancaman', 'Ａ', 'é', 'تقرير', '보고서', '\u{1F600}', 'ব্যাংক'];

describe('one definition of control, invisible and bidi characters for every displayed text', () => {
  for (const [what, check] of checkers) {
    it(`${what}: refuses each hidden character, inside the text`, () => {
      for (const [name, c] of hidden) expect(check(`ab${c}cd`), name).not.toBeNull();
    });
    it(`${what}: accepts visible text in several scripts`, () => {
      for (const t of visible) expect(check(t), t).toBeNull();
    });
  }

  it('only a summary may hold line feeds, carriage returns and tabs', () => {
    expect(summaryProblem('line one\r\nline two\tand a tab')).toBeNull();
    for (const [what, check] of checkers.filter(([w]) => w !== 'bundle summary')) expect(check('a\nb'), what).not.toBeNull();
  });

  it('names, markings and key card text may not start or end with a space separator (Zs)', () => {
    for (const [what, check] of [checkers[2]!, checkers[3]!, checkers[4]!]) {
      for (const t of [' a', 'a ', '\u00a0a', 'a\u3000']) expect(check(t), `${what} ${JSON.stringify(t)}`).not.toBeNull();
      expect(check('a b'), what).toBeNull();
    }
  });
});

describe('item media types follow the ABNF of SPEC 12.3', () => {
  it.each([
    'text/plain;charset=utf-8',
    'application/stix+json;version=2.1',
    'application/vnd.lintas.bundle',
    'image/svg+xml',
    'text/plain;charset="utf-8"',
    'multipart/mixed;boundary="a b=c"',
  ])('accepts %s', (t) => {
    expect(mediaTypeProblem(t)).toBeNull();
  });

  it.each([
    ['CR LF before a parameter', 'text/plain\r\n;x=y'],
    ['a space after ";"', 'text/plain; charset=utf-8'],
    ['a space before ";"', 'text/plain ;charset=utf-8'],
    ['a space around "="', 'text/plain;charset =utf-8'],
    ['no subtype', 'text'],
    ['an empty parameter value', 'text/plain;charset='],
    ['a quoted value with a line feed', 'text/plain;x="a\nb"'],
    ['a quoted value with a backslash', 'text/plain;x="a\\\\b"'],
    ['a non-ASCII quoted value', 'text/plain;x="é"'],
    ['a non-ASCII name', 'téxt/plain'],
    ['a name starting with "-"', '-text/plain'],
    ['a name of 128 characters', `text/${'a'.repeat(128)}`],
    ['a trailing ";"', 'text/plain;'],
  ])('refuses %s', (_what, t) => {
    expect(mediaTypeProblem(t)).not.toBeNull();
  });
});
