/**
 * Text as it comes in from a source, made safe once so nothing downstream sees what it cannot
 * store, render or send: lone surrogates become U+FFFD, NUL and the C0/C1 controls other than
 * tab and newline are removed (a CR too: it only ever ends a line), and the rest is put in
 * Unicode NFC.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters removed
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** How deep a document's JSON may nest; below this a value is dropped (a post is a few levels deep). */
export const MAX_JSON_DEPTH = 32;

export function normalizeText(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROLS, '').normalize('NFC');
}

/**
 * A parsed JSON document with every string (keys too) normalized. Values nested deeper than
 * {@link MAX_JSON_DEPTH} become null, so no later walk over it can run out of stack.
 */
export function normalizeDocument(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return normalizeText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_JSON_DEPTH) return null;
  if (Array.isArray(value)) return value.map((v) => normalizeDocument(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[normalizeText(key)] = normalizeDocument(v, depth + 1);
  return out;
}

/** Open elements that may nest inside one another; deeper markup is refused before any parser sees it. */
export const MAX_HTML_DEPTH = 256;
/** Tags in one post's content. */
export const MAX_HTML_TAGS = 5000;
/** Characters of one post's content. */
export const MAX_HTML_CHARS = 1_000_000;

const TAG = /<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g;
const VOID = new Set(['br', 'img', 'hr', 'wbr', 'input', 'meta', 'link', 'source', 'col', 'area', 'base', 'embed']);

/**
 * Why a piece of HTML is too big or too deep to read, or undefined when it is fine. Depth is
 * counted as a tolerant parser would: a closing tag closes back to its opener, a stray one is
 * ignored, void elements do not nest.
 */
export function htmlTooComplex(html: string, what = 'content'): string | undefined {
  if (html.length > MAX_HTML_CHARS) {
    return `${what} is ${(html.length / 1_000_000).toFixed(1)} million characters (at most ${MAX_HTML_CHARS / 1_000_000} million)`;
  }
  const open: string[] = [];
  let tags = 0;
  for (const m of html.matchAll(TAG)) {
    tags += 1;
    if (tags > MAX_HTML_TAGS) return `${what} has more than ${MAX_HTML_TAGS} tags`;
    const name = (m[2] ?? '').toLowerCase();
    if (m[1] === '/') {
      const at = open.lastIndexOf(name);
      if (at >= 0) open.length = at;
    } else if (m[3] !== '/' && !VOID.has(name)) {
      open.push(name);
      if (open.length > MAX_HTML_DEPTH) return `${what} nests elements more than ${MAX_HTML_DEPTH} deep`;
    }
  }
  return undefined;
}
