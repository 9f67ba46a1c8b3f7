/**
 * Repair of publisher HTML whose opening tags were stripped while the closing ones stayed
 * (the seeds: `text</span></a> more</span></p>`), before it is sanitized.
 */
const P_CLOSE = /<\/p\s*>/gi;
const P_OPEN = /<p[\s>/]/i;
const ANY_OPEN = /<[a-z]/i;
/** Block-level tags: a rebuilt paragraph starts after the last one, never around it. */
const BLOCK_TAG =
  /<\/?(?:address|article|aside|blockquote|div|dl|figure|figcaption|footer|form|h[1-6]|header|hr|li|main|nav|ol|pre|section|table|ul)\b[^>]*>/gi;
const TAG = /<(\/?)([a-z][a-z0-9]*)\b[^>]*>/gi;
const EMPHASIS = new Set(['b', 'strong', 'em', 'i']);

/**
 * Rebuilds `<p>` around every chunk that ends in `</p>` but has no opening `<p`: in the saved
 * seeds the opening tags were stripped, so without this the text would float outside any
 * paragraph and the stray `</p>` would become an empty one (htmlparser2 follows browsers there).
 * A chunk of well-formed HTML always holds its own `<p`, so it is left alone.
 */
export function repairStrippedParagraphs(html: string): string {
  let out = '';
  let last = 0;
  let repaired = false;
  for (const match of html.matchAll(P_CLOSE)) {
    const chunk = html.slice(last, match.index);
    last = match.index + match[0].length;
    if (P_OPEN.test(chunk)) {
      out += chunk + match[0];
    } else {
      out += wrapParagraph(chunk);
      repaired = true;
    }
  }
  const tail = html.slice(last);
  // A document cut off mid-paragraph leaves text after the last `</p>`: keep it as a paragraph.
  const wrapTail = repaired && tail.trim() !== '' && !P_OPEN.test(tail);
  return out + (wrapTail ? wrapParagraph(tail) : tail);
}

function wrapParagraph(chunk: string): string {
  let split = 0;
  for (const match of chunk.matchAll(BLOCK_TAG)) split = match.index + match[0].length;
  const rest = chunk.slice(split);
  const body = rest.trimStart();
  if (body === '') return chunk.slice(0, split) + rest;
  // Leading whitespace (the seeds' newlines) stays between paragraphs, not inside one.
  return `${chunk.slice(0, split)}${rest.slice(0, rest.length - body.length)}<p>${restoreEmphasis(body)}</p>`;
}

/**
 * In a chunk whose opening tags were all stripped, `Why It Matters</b>` was bold and
 * `Reuters</span></i>` italic: reopen b/strong/em/i at the start of the text run they close,
 * so emphasis (and the bold heading) survive. Other stray closers are left for the sanitizer.
 */
function restoreEmphasis(body: string): string {
  if (ANY_OPEN.test(body)) return body;
  const parts: string[] = [];
  let run = -1; // index in `parts` of the text run that the closing tags seen next belong to
  let last = 0;
  for (const match of body.matchAll(TAG)) {
    const text = body.slice(last, match.index);
    if (text !== '') run = parts.push(text) - 1;
    const name = match[2]?.toLowerCase() ?? '';
    const runText = parts[run];
    if (match[1] === '/' && EMPHASIS.has(name) && runText?.trim()) {
      // Inner closers come first, so each later opener lands outside the earlier ones.
      const indent = runText.length - runText.trimStart().length;
      parts[run] = `${runText.slice(0, indent)}<${name}>${runText.slice(indent)}`;
    }
    parts.push(match[0]);
    last = match.index + match[0].length;
  }
  parts.push(body.slice(last));
  return parts.join('');
}

// ── Sanitize ─────────────────────────────────────────────────────────────────────────────────
