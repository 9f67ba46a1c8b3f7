/**
 * The plain-text part's layout: lines of at most 78 characters (RFC 5322's recommendation),
 * URLs on lines of their own. Pure; runs in stage 1, where reader links are still
 * placeholders standing on lines of their own.
 */

/** The longest line a plain-text part has, unbreakable URLs aside. */
export const TEXT_WIDTH = 78;

const URL_TOKEN = /^(?:(?:https?:\/\/|mailto:)\S+|\{\{reader\.(?:preferencesUrl|unsubscribeUrl)\}\})$/;

function length(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

/**
 * Wrap one paragraph line on spaces: every line at most `width` characters, a link token (an
 * http(s)/mailto URL or a reader-link placeholder) alone on its line, whatever its length. A
 * word longer than the width that is not a link is cut (it has no better place to break).
 * Leading indentation is kept on every line.
 */
export function wrapLine(line: string, width = TEXT_WIDTH): string[] {
  const indent = /^\s*/.exec(line)?.[0] ?? '';
  const words = line.slice(indent.length).split(/ +/).filter(Boolean);
  const inlineLink = words.length > 1 && words.some((w) => URL_TOKEN.test(w));
  if (length(line) <= width && !inlineLink) {
    return [line.trimEnd()];
  }
  const out: string[] = [];
  let current = '';
  const flush = () => {
    if (current) out.push(indent + current);
    current = '';
  };
  for (const word of words) {
    if (URL_TOKEN.test(word)) {
      flush();
      out.push(indent + word);
      continue;
    }
    for (const piece of cut(word, width - length(indent))) {
      if (!current) current = piece;
      else if (length(indent) + length(current) + 1 + length(piece) <= width) current += ` ${piece}`;
      else {
        flush();
        current = piece;
      }
    }
  }
  flush();
  return out;
}

function cut(word: string, width: number): string[] {
  const chars = [...word];
  if (chars.length <= width) return [word];
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += width) pieces.push(chars.slice(i, i + width).join(''));
  return pieces;
}

/** Wrap every line of a plain-text part (see {@link wrapLine}); blank lines are kept. */
export function wrapText(text: string, width = TEXT_WIDTH): string {
  return text
    .split('\n')
    .flatMap((line) => (line.trim() === '' ? [''] : wrapLine(line, width)))
    .join('\n');
}
