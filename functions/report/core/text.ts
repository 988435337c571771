// Control characters (C0, DEL, C1) and the line and paragraph separators (Zl, Zp: U+2028, U+2029)
// become spaces: with CR, LF, VT, FF and NEL (all Cc) they are every line break Unicode has
// (UAX #14 mandatory breaks), so a name never starts a line of its own. Format characters (bidi
// overrides and isolates, zero-width spaces and joiners, soft hyphens, BOMs, tags) are dropped.
// None ever shows as text, and each can disguise what a name says (a bidi override reverses it).
const BREAKING = /[\p{Cc}\p{Zl}\p{Zp}]/gu;
const FORMAT = /\p{Cf}/gu;

/** Text from users (project names, ids) made safe to show: only characters that print as themselves, on one line. */
export function neutralizeText(text: string): string {
  return text.replace(FORMAT, '').replace(BREAKING, ' ');
}
