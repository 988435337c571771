// Control characters (C0, DEL, C1) become spaces; format characters (bidi overrides and isolates,
// zero-width spaces and joiners, soft hyphens, BOMs, tags) are dropped. Neither ever shows as text,
// and both can disguise what a name says (a bidi override reverses it).
const CONTROL = /\p{Cc}/gu;
const FORMAT = /\p{Cf}/gu;

/** Text from users (project names, ids) made safe to show: only characters that print as themselves. */
export function neutralizeText(text: string): string {
  return text.replace(FORMAT, '').replace(CONTROL, ' ');
}
