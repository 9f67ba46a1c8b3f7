import Handlebars from 'handlebars';
import type { RenderedDigest } from './digest.js';
import { followingLabel } from './sections.js';
import { BRACE_SENTINEL, READER_PLACEHOLDERS, type ReaderField } from './templates.js';
import { wrapText } from './text.js';

/**
 * Stage 2 of rendering: fill the reader placeholders of a `RenderedDigest`. The HTML and text
 * are compiled with Handlebars once per digest; each reader costs only a run of the compiled
 * templates (no MJML, no parsing).
 */

/** What fills the placeholders: strings, as the templates receive them. */
export type SlotValues = Record<ReaderField, string>;

/**
 * One reader, as stage 2 needs them. `name` may be empty (the templates then greet with
 * "Hello,"); `followed` are the topic slugs they chose on this list (none = all topics), named
 * in the footer.
 */
export interface ReaderValues {
  name: string;
  preferencesUrl: string;
  unsubscribeUrl: string;
  followed?: readonly string[];
}

/** One reader's email. */
export interface PersonalizedDigest {
  subject: string;
  html: string;
  text: string;
}

/**
 * One part of a digest cut at its reader fields: `statics[0] slots[0] statics[1] … statics[n]`.
 * The statics are final text; each slot takes the reader's value for that part
 * ({@link SlotFill}).
 */
export interface PartTemplate {
  statics: string[];
  slots: ReaderField[];
}

/** A digest's parts cut at the reader fields, for a reader with a name or without one. */
export interface DigestTemplate {
  subject: string;
  html: PartTemplate;
  text: PartTemplate;
}

/** A reader's values as they go into each part: HTML-escaped for the html, as is (and wrapped) for the text. */
export interface SlotFill {
  html: SlotValues;
  text: SlotValues;
}

/** Fills one reader's values into a compiled digest. */
export interface Personalizer {
  (reader: ReaderValues): PersonalizedDigest;
  /**
   * The digest cut at its reader fields, for readers with a name (`named`) or without. Null when
   * the rendered digest itself holds the private-use characters the cut relies on (then only
   * the whole-digest call is safe).
   */
  template(named: boolean): DigestTemplate | null;
  /** A reader's values for {@link template}: `template.statics` interleaved with these equal the call's output. */
  fill(reader: ReaderValues): SlotFill;
}

/** The stage-1 output holds an expression that is not a reader placeholder. */
export class PersonalizeError extends Error {
  readonly code = 'PLACEHOLDER_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PersonalizeError';
  }
}

// An instance of our own with no helpers but the built-ins; strict + knownHelpersOnly make a
// stray expression throw instead of rendering empty.
const hb = Handlebars.create();
const SLOT_PATHS = new Set(Object.values(READER_PLACEHOLDERS).map((p) => p.slice(2, -2)));
const EMPTY_READER: SlotValues = { name: '', preferencesUrl: '', unsubscribeUrl: '', following: '' };

function where(node: hbs.AST.Node, part: string): string {
  return `${part} line ${node.loc.start.line}:${node.loc.start.column}`;
}

function isSlot(expr: hbs.AST.Expression | undefined): boolean {
  return expr?.type === 'PathExpression' && SLOT_PATHS.has((expr as hbs.AST.PathExpression).original);
}

/**
 * Allow only what stage 1 writes: `{{reader.<field>}}` (escaped in HTML) and
 * `{{#if reader.name}}…{{else}}…{{/if}}` around wording; anything else is a bug or an injection.
 */
function assertOnlySlots(program: hbs.AST.Program | undefined, part: string, html: boolean): void {
  for (const node of program?.body ?? []) {
    if (node.type === 'ContentStatement') continue;
    if (node.type === 'MustacheStatement') {
      const m = node as hbs.AST.MustacheStatement;
      if (isSlot(m.path) && m.params.length === 0 && !m.hash && (m.escaped || !html)) continue;
    } else if (node.type === 'BlockStatement') {
      const b = node as hbs.AST.BlockStatement;
      if (b.path.original === 'if' && b.params.length === 1 && isSlot(b.params[0]) && !b.hash) {
        assertOnlySlots(b.program, part, html);
        assertOnlySlots(b.inverse, part, html);
        continue;
      }
    }
    throw new PersonalizeError(`unexpected Handlebars ${node.type} in the rendered ${where(node, part)}`);
  }
}

function compilePart(source: string, part: 'html' | 'text'): HandlebarsTemplateDelegate<{ reader: SlotValues }> {
  let program: hbs.AST.Program;
  try {
    program = hb.parseWithoutProcessing(source);
  } catch (err) {
    throw new PersonalizeError(`cannot parse the rendered ${part}: ${(err as Error).message}`, { cause: err });
  }
  assertOnlySlots(program, part, part === 'html');
  const template = hb.compile<{ reader: SlotValues }>(source, {
    strict: true,
    knownHelpersOnly: true,
    noEscape: part === 'text',
  });
  template({ reader: EMPTY_READER }); // Handlebars compiles lazily: do it now, once.
  return template;
}

/**
 * Compile a rendered digest for personalization, once per edition and topic set.
 * The returned function fills a reader's name and links: HTML-escaped in the HTML, as is in the
 * text, where publisher `{` (U+E000 since stage 1) is restored afterwards.
 * @throws PersonalizeError when the digest holds any expression other than the reader placeholders.
 */
export function compilePersonalizer(rendered: RenderedDigest): Personalizer {
  const html = compilePart(rendered.html, 'html');
  const text = compilePart(rendered.text, 'text');
  const { subject } = rendered;
  // Renders stored before `offered` existed hold no {{reader.following}}: nothing to name.
  const offered = rendered.offered ?? [];
  const textSlots = (reader: ReaderValues): SlotValues => {
    const following = followingLabel(offered, reader.followed ?? []);
    const slots = { name: reader.name, preferencesUrl: reader.preferencesUrl, unsubscribeUrl: reader.unsubscribeUrl };
    // The label stands on a line of its own in the text part: wrapped here, as it varies per reader.
    return { ...slots, following: wrapText(`${following}.`) };
  };
  const personalize = (reader: ReaderValues): PersonalizedDigest => {
    const following = followingLabel(offered, reader.followed ?? []);
    const slots = { name: reader.name, preferencesUrl: reader.preferencesUrl, unsubscribeUrl: reader.unsubscribeUrl };
    return {
      subject,
      html: html({ reader: { ...slots, following } }),
      text: text({ reader: textSlots(reader) }).replaceAll(BRACE_SENTINEL, '{'),
    };
  };
  const templates = new Map<boolean, DigestTemplate | null>();
  const clean = !SLOT_MARK.test(rendered.html) && !SLOT_MARK.test(rendered.text);
  return Object.assign(personalize, {
    template(named: boolean): DigestTemplate | null {
      if (!clean) return null;
      let t = templates.get(named);
      if (t === undefined) {
        const marks = { ...MARKS, name: named ? MARKS.name : '' };
        t = {
          subject,
          html: cut(html({ reader: marks })),
          text: cut(text({ reader: marks }).replaceAll(BRACE_SENTINEL, '{')),
        };
        templates.set(named, t);
      }
      return t;
    },
    fill(reader: ReaderValues): SlotFill {
      const t = textSlots(reader);
      const following = followingLabel(offered, reader.followed ?? []);
      return {
        html: {
          name: hb.escapeExpression(reader.name),
          preferencesUrl: hb.escapeExpression(reader.preferencesUrl),
          unsubscribeUrl: hb.escapeExpression(reader.unsubscribeUrl),
          following: hb.escapeExpression(following),
        },
        text: {
          name: t.name.replaceAll(BRACE_SENTINEL, '{'),
          preferencesUrl: t.preferencesUrl.replaceAll(BRACE_SENTINEL, '{'),
          unsubscribeUrl: t.unsubscribeUrl.replaceAll(BRACE_SENTINEL, '{'),
          following: t.following.replaceAll(BRACE_SENTINEL, '{'),
        },
      };
    },
  });
}

/**
 * Private-use characters that stand for the reader fields while a template is cut (U+E001…;
 * U+E000 is the brace sentinel). Escaping leaves them alone, so they mark where each value goes.
 */
const MARKS: SlotValues = { name: '\uE001', preferencesUrl: '\uE002', unsubscribeUrl: '\uE003', following: '\uE004' };
const MARK_FIELD = new Map(Object.entries(MARKS).map(([field, mark]) => [mark, field as ReaderField]));
const SLOT_MARK = /[\uE001-\uE004]/;

function cut(filled: string): PartTemplate {
  const pieces = filled.split(/([\uE001-\uE004])/);
  const statics: string[] = [];
  const slots: ReaderField[] = [];
  pieces.forEach((piece, i) => {
    if (i % 2 === 0) statics.push(piece);
    else slots.push(MARK_FIELD.get(piece) as ReaderField);
  });
  return { statics, slots };
}
