import { compile, convert, type DomNode, type FormatCallback } from 'html-to-text';
import sanitizeHtml from 'sanitize-html';
import { repairStrippedParagraphs } from './repair.js';
import { BRACE_SENTINEL as SENTINEL } from './values.js';

/** What a briefing keeps of a post's body. */
export interface DigestedContent {
  /** Sanitized HTML (allowlist), no stray closing tags, URLs absolute. */
  html: string;
  /** Plain text of the first paragraph, whitespace collapsed, at most {@link LEAD_MAX_CHARS}. */
  lead: string;
  /** Plain text of the section after a "Why it matters" heading; paragraphs joined by a blank line. */
  whyItMatters?: string;
}

/** Longest lead, ellipsis included. */
export const LEAD_MAX_CHARS = 600;

/** A paragraph this short and entirely bold reads as a heading (Korea Pro's "Why It Matters"). */
const HEADING_MAX_CHARS = 120;
const WHY_IT_MATTERS = /^why it matters[\s:.!?…—–-]*$/i;

/**
 * Turns a post's `content.rendered` into what a briefing keeps: sanitized HTML, the lead and the
 * "why it matters" section. Repairs the saved-seed damage (opening tags stripped, closing ones
 * kept) first; well-formed HTML passes through unchanged in meaning.
 *
 * @param baseUrl - the post's URL: relative links and images are resolved against it; without
 *   it they are dropped (a relative URL means nothing in an email).
 */
export function digestContent(rawHtml: string, baseUrl?: string): DigestedContent {
  const repaired = repairStrippedParagraphs(rawHtml.replaceAll(SENTINEL, ''));
  const html = sanitize(repaired, baseUrl);
  const blocks = readBlocks(html);
  const whyItMatters = sectionAfterWhyItMatters(blocks);
  const lead = capOnWord(firstParagraph(blocks) ?? '', LEAD_MAX_CHARS);
  return whyItMatters === undefined ? { html, lead } : { html, lead, whyItMatters };
}

// ── Repair ───────────────────────────────────────────────────────────────────────────────────

const LINK_PROTOCOLS = ['http:', 'https:', 'mailto:'];
const DIMENSION = /^\d{1,4}%?$/;
const INLINE = new Set(['a', 'b', 'strong', 'em', 'i']);
const ALLOWED_TAGS = 'p br a strong b em i ul ol li blockquote h2 h3 h4 img figure figcaption'.split(' ');
/** Dropped with their content, not just the tags: nobody wants a script's source as text. */
const DROPPED_WITH_CONTENT = 'script style textarea option noscript iframe template object svg math title'.split(' ');

function sanitize(html: string, baseUrl: string | undefined): string {
  const clean = sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: { a: ['href', 'rel'], img: ['src', 'alt', 'width', 'height'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    nonTextTags: DROPPED_WITH_CONTENT,
    transformTags: {
      a: (_tag, attribs) => transformLink(attribs, baseUrl),
      img: (_tag, attribs) => transformImage(attribs, baseUrl),
    },
    // A link left without a usable href keeps its text; an image without one goes entirely.
    // (Renaming them to a disallowed tag instead trips a sanitize-html 2.17 bug that emits a
    // stray `</span>` for the next sibling.)
    exclusiveFilter: (frame) => {
      if (frame.tag === 'img') return !frame.attribs.src;
      // Inline elements left empty (a link whose image was dropped, a stray bold) say nothing.
      if (INLINE.has(frame.tag) && frame.text === '' && frame.mediaChildren.length === 0) return true;
      return frame.tag === 'a' && !frame.attribs.href ? 'excludeTag' : false;
    },
    textFilter: (text) => text.replaceAll(SENTINEL, ''),
  });
  // Stripped seeds and `<p>&nbsp;</p>` spacers leave empty paragraphs; sanitize-html writes a
  // bare `<p>` (no attributes are allowed on it), so this only ever matches its own output.
  return clean.replace(/<p>(?:\s|&nbsp;|\u00a0|<br \/>)*<\/p>/g, '').trim();
}

/** Links must resolve to http(s)/mailto; one that does not loses its href (and, below, its tag). */
function transformLink(attribs: sanitizeHtml.Attributes, baseUrl: string | undefined): sanitizeHtml.Tag {
  const href = resolveUrl(attribs.href, baseUrl, LINK_PROTOCOLS);
  return { tagName: 'a', attribs: href ? { href, rel: 'noopener' } : {} };
}

/** Images must be https (mixed content and tracking over http); anything else is dropped. */
function transformImage(attribs: sanitizeHtml.Attributes, baseUrl: string | undefined): sanitizeHtml.Tag {
  const src = resolveUrl(attribs.src, baseUrl, ['https:']);
  if (!src) return { tagName: 'img', attribs: {} };
  const kept: sanitizeHtml.Attributes = { src, alt: (attribs.alt ?? '').replaceAll(SENTINEL, '') };
  for (const key of ['width', 'height'] as const) {
    const value = attribs[key];
    if (value !== undefined && DIMENSION.test(value)) kept[key] = value;
  }
  return { tagName: 'img', attribs: kept };
}

function resolveUrl(
  value: string | undefined,
  baseUrl: string | undefined,
  protocols: readonly string[],
): string | undefined {
  if (!value?.trim()) return undefined;
  try {
    const url = baseUrl ? new URL(value.trim(), baseUrl) : new URL(value.trim());
    return protocols.includes(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

// ── Plain text ───────────────────────────────────────────────────────────────────────────────

type BlockKind = 'paragraph' | 'heading' | 'item';
interface Block {
  kind: BlockKind;
  text: string;
  /** Entirely bold: a short one reads as a heading. */
  bold: boolean;
}
type Builder = Parameters<FormatCallback>[2];

/** html-to-text hands `metadata` to formatters at run time; its type definitions omit it. */
const blocksOf = (builder: Builder): Block[] => (builder as Builder & { metadata: Block[] }).metadata;

/** Records leaf blocks only (a blockquote holding paragraphs is recorded as its paragraphs). */
function recordBlock(kind: BlockKind, elem: DomNode, walk: Parameters<FormatCallback>[1], builder: Builder): void {
  const blocks = blocksOf(builder);
  const before = blocks.length;
  builder.openBlock({ leadingLineBreaks: 2 });
  walk(elem.children, builder);
  builder.closeBlock({
    trailingLineBreaks: 2,
    blockTransform: (text) => {
      if (blocks.length === before) blocks.push({ kind, text: collapse(text), bold: isAllBold(elem) });
      return text;
    },
  });
}

const formatList: FormatCallback = (elem, walk, builder) => {
  for (const child of elem.children) {
    if (child.name === 'li') recordBlock('item', child, walk, builder);
  }
};

const toText = compile({
  wordwrap: false,
  formatters: {
    // Own names, so the built-in formatters stay what they are for any other tag.
    gazetteParagraph: (elem, walk, builder) => recordBlock('paragraph', elem, walk, builder),
    gazetteHeading: (elem, walk, builder) => recordBlock('heading', elem, walk, builder),
    gazetteList: formatList,
  },
  selectors: [
    { selector: 'p', format: 'gazetteParagraph' },
    { selector: 'blockquote', format: 'gazetteParagraph' },
    { selector: 'h2', format: 'gazetteHeading' },
    { selector: 'h3', format: 'gazetteHeading' },
    { selector: 'h4', format: 'gazetteHeading' },
    { selector: 'ul', format: 'gazetteList' },
    { selector: 'ol', format: 'gazetteList' },
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'figcaption', format: 'skip' },
  ],
}) as (html: string, metadata: Block[]) => string;

/** Plain-text blocks of sanitized HTML, in document order, entities decoded by html-to-text. */
function readBlocks(html: string): Block[] {
  const blocks: Block[] = [];
  const whole = collapse(toText(html, blocks));
  // Text outside any block (a post with no markup at all) still deserves a lead.
  if (blocks.length === 0 && whole !== '') blocks.push({ kind: 'paragraph', text: whole, bold: false });
  return blocks.filter((b) => b.text !== '');
}

/** True when every piece of text in the element sits inside b/strong (and there is some). */
function isAllBold(node: DomNode): boolean {
  const isBold = (n: DomNode): boolean => n.name === 'b' || n.name === 'strong';
  const isBlank = (n: DomNode): boolean => n.name === 'br' || (n.type === 'text' && (n.data ?? '').trim() === '');
  const visit = (n: DomNode): boolean =>
    n.children.every((c) => isBold(c) || isBlank(c) || (c.type === 'tag' && visit(c)));
  const hasBold = (n: DomNode): boolean => n.children.some((c) => isBold(c) || hasBold(c));
  return visit(node) && hasBold(node);
}

function isHeadingLike(block: Block): boolean {
  return (
    block.kind === 'heading' ||
    (block.bold && block.text.length <= HEADING_MAX_CHARS) ||
    WHY_IT_MATTERS.test(block.text)
  );
}

function firstParagraph(blocks: Block[]): string | undefined {
  const body = blocks.filter((b) => !isHeadingLike(b));
  return (body.find((b) => b.kind === 'paragraph') ?? body[0])?.text;
}

function sectionAfterWhyItMatters(blocks: Block[]): string | undefined {
  const start = blocks.findIndex((b) => b.kind !== 'item' && WHY_IT_MATTERS.test(b.text));
  if (start === -1) return undefined;
  const section: string[] = [];
  for (const block of blocks.slice(start + 1)) {
    if (isHeadingLike(block)) break;
    section.push(block.kind === 'item' ? `• ${block.text}` : block.text);
  }
  return section.length > 0 ? section.join('\n\n') : undefined;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const words = new Intl.Segmenter(undefined, { granularity: 'word' });
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cuts at the last whole word that fits (ellipsis included); a single giant word is cut by grapheme. */
function capOnWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const limit = max - 1;
  let end = 0;
  for (const s of words.segment(text)) {
    const next = s.index + s.segment.length;
    if (next > limit) break;
    if (s.isWordLike) end = next;
  }
  if (end === 0) {
    for (const s of graphemes.segment(text)) {
      if (s.index + s.segment.length > limit) break;
      end = s.index + s.segment.length;
    }
  }
  return `${text.slice(0, end).trimEnd()}…`;
}

/** Plain text of a short HTML fragment (a title): tags dropped, entities decoded, whitespace collapsed. */
export function plainText(html: string): string {
  const text = convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    ],
  });
  return text.replaceAll(SENTINEL, '').replace(/\s+/g, ' ').trim();
}
