/**
 * The character rules of text that people read and compare: names and organizations on key
 * cards, key ring names, bundle titles, summaries and item names, handling markings (SPEC 12.3,
 * 12.4; docs/KEYRING.md). Defined by Unicode properties, so that two implementations agree:
 *
 * - **control**: General_Category Cc (C0, DEL, C1);
 * - **invisible**: General_Category Cf (format), Zl (line separator), Zp (paragraph separator),
 *   Cs (surrogates: a JS string may hold a lone one), and the Default_Ignorable_Code_Point
 *   property (zero-width characters, joiners, variation selectors, fillers, tags);
 * - **bidi**: the Bidi_Control property (U+061C, U+200E, U+200F, U+202A..U+202E,
 *   U+2066..U+2069), which are also Cf.
 *
 * Any of these makes two strings that look the same compare different, or reorders text on
 * screen, so they are refused. The only exception is the line breaks and tabs a summary may hold.
 * Property values are those of the JavaScript engine's Unicode version (Node 20: Unicode 15.0);
 * implementations on other versions can differ only on characters assigned since.
 */

const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/u;
const FORBIDDEN_EXCEPT_LINES = /[\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;
/** General_Category Zs: the white space that may not lead or trail a name (the rest is refused anyway). */
const EDGE_SPACE = /^\p{Zs}|\p{Zs}$/u;

/** True if `text` holds a control, invisible or bidi character (see the module comment). */
export function hasHiddenCharacter(text: string): boolean {
  return FORBIDDEN.test(text);
}

/** As {@link hasHiddenCharacter}, but LF, CR and HT are allowed (multi-line text such as a summary). */
export function hasHiddenCharacterExceptLines(text: string): boolean {
  return FORBIDDEN_EXCEPT_LINES.test(text);
}

/** True if `text` starts or ends with a space separator (General_Category Zs). */
export function hasEdgeSpace(text: string): boolean {
  return EDGE_SPACE.test(text);
}
