/**
 * fast-check arbitraries for hostile input, biased toward structure: valid-shaped WordPress posts
 * with fields replaced by hostile values, feeds built from fragments, CSV lines with quotes,
 * CRLF, BOMs and extra columns. Sizes stay small so 100,000 cases per target run in seconds.
 */
import fc from 'fast-check';

/** A lone UTF-16 surrogate: not valid Unicode, yet legal in a JS string and in JSON text. */
export const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

const oddBits = fc.constantFrom(
  '\u0000',
  '\uFEFF',
  '\u202e',
  '\u2028',
  '\r\n',
  '\ud83d\ude00',
  '&#0;',
  '&amp;',
  '&#x110000;',
  '<script>alert(1)</script>',
  '<![CDATA[',
  ']]>',
  '"',
  "'",
  '\\',
  '%00',
  'é',
  '\u0301',
  ' ',
);

/** Short strings mixing ordinary text, any code point, lone surrogates, NUL and markup bits. */
export const hostileString = fc
  .array(fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 4 }), loneSurrogate, oddBits), {
    maxLength: 6,
  })
  .map((parts) => parts.join(''));

/** Nesting `depth` levels deep, of arrays or objects. */
const deep = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.boolean()).map(([depth, arrays]) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { rendered: v };
  return v;
});

/** A value of the wrong shape or type for any field. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 1.5, '', []),
  fc.double(),
  fc.integer(),
  fc.constantFrom({}, { rendered: null }, { rendered: 7 }, { rendered: ['a'] }, { raw: 'x' }),
  fc.record({ rendered: hostileString }),
  deep,
  fc.jsonValue({ maxDepth: 3 }),
);

const dateText = fc.oneof(
  fc
    .date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 19)),
  fc.constantFrom('2026-02-30T10:00:00', '2026-13-01T00:00:00', '0000-00-00T00:00:00', '2026-01-01', 'yesterday'),
);

const validPost = fc.record({
  id: fc.oneof(fc.nat(), fc.nat().map(String)),
  date_gmt: dateText,
  modified_gmt: dateText,
  date: dateText,
  modified: dateText,
  link: fc.oneof(fc.constant('https://example.com/p/1'), fc.webUrl(), hostileString),
  status: fc.constantFrom('publish', 'draft', 'future'),
  title: fc.record({ rendered: fc.oneof(fc.constant('A title'), hostileString) }),
  content: fc.record({ rendered: fc.oneof(fc.constant('<p>Body <b>text</b>.</p>'), hostileString) }),
  _embedded: fc.oneof(
    fc.constant(undefined),
    fc.record({ author: fc.array(fc.record({ name: hostileValue }), { maxLength: 2 }) }),
    fc.record({
      'wp:term': fc.array(fc.array(fc.record({ name: hostileValue, slug: hostileValue }), { maxLength: 2 }), {
        maxLength: 2,
      }),
    }),
    hostileValue,
  ),
});

const POST_FIELDS = [
  'id',
  'date_gmt',
  'modified_gmt',
  'date',
  'modified',
  'link',
  'status',
  'title',
  'content',
  '_embedded',
];

/** A WordPress post with some fields replaced by hostile values or removed, or a non-object. */
export const hostilePost: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(validPost, fc.array(fc.tuple(fc.constantFrom(...POST_FIELDS), fc.option(hostileValue)), { maxLength: 4 }))
      .map(([post, edits]) => {
        const out: Record<string, unknown> = { ...post };
        for (const [field, value] of edits) {
          if (value === null) delete out[field];
          else out[field] = value;
        }
        return out;
      }),
  },
  hostileValue,
);

/** JSON text of a hostile post, then damaged: cut short, a character dropped or inserted. */
export function damagedJson(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      base,
      fc.nat(),
      fc.constantFrom('cut', 'drop', 'insert', 'newline', 'none'),
      fc.oneof(oddBits, fc.constantFrom('{', '}', '[', ']', ',', ':', '"')),
    )
    .map(([text, at, how, bit]) => {
      const p = text.length ? at % text.length : 0;
      if (how === 'cut') return text.slice(0, p);
      if (how === 'drop') return text.slice(0, p) + text.slice(p + 1);
      if (how === 'insert') return text.slice(0, p) + bit + text.slice(p);
      if (how === 'newline') return text.replace(/\\n/g, '\n');
      return text;
    });
}

const xmlText = fc.oneof(fc.constantFrom('Hello', 'a &amp; b', '&lt;b&gt;', '&bogus;', '&#0;', ''), hostileString);
const xmlDate = fc.oneof(
  fc.constantFrom('Tue, 10 Jun 2003 04:00:00 GMT', '2024-01-01T00:00:00Z', 'not a date', ''),
  hostileString,
);
const rssItem = fc
  .record({
    title: xmlText,
    link: fc.oneof(fc.constant('https://example.com/a'), xmlText),
    guid: xmlText,
    pubDate: xmlDate,
    description: xmlText,
    drop: fc.subarray(['title', 'link', 'guid', 'pubDate', 'description']),
  })
  .map(
    ({ drop, ...f }) =>
      `<item>${Object.entries(f)
        .filter(([k]) => !drop.includes(k))
        .map(([k, v]) => `<${k}>${v}</${k}>`)
        .join('')}</item>`,
  );
const atomEntry = fc
  .record({ title: xmlText, id: xmlText, updated: xmlDate, href: xmlText, content: xmlText })
  .map(
    (e) =>
      `<entry><title>${e.title}</title><id>${e.id}</id><updated>${e.updated}</updated><link href="${e.href}"/><content type="html">${e.content}</content></entry>`,
  );
const fragment = fc.constantFrom(
  '<!DOCTYPE rss [<!ENTITY a "aaaa">]>',
  '<!DOCTYPE rss>',
  '<![CDATA[<b>x</b>]]>',
  '<?xml version="1.0"?>',
  '<unclosed>',
  '</channel>',
  '<!-- c -->',
  '&a;',
  '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
);

/** RSS 2.0 and Atom documents built from item fragments, some broken, cut or spliced. */
export const hostileFeed: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('rss', 'atom', 'junk'),
    fc.array(fc.oneof({ weight: 4, arbitrary: rssItem }, atomEntry, fragment, hostileString), { maxLength: 4 }),
    fc.option(fc.nat()),
    fc.option(fc.tuple(fc.nat(), fragment)),
  )
  .map(([kind, parts, cut, splice]) => {
    const body = parts.join('\n');
    let xml =
      kind === 'rss'
        ? `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://example.com/</link>${body}</channel></rss>`
        : kind === 'atom'
          ? `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>x</id>${body.replace(/item>/g, 'entry>')}</feed>`
          : body;
    if (splice) xml = xml.slice(0, splice[0] % (xml.length + 1)) + splice[1] + xml.slice(splice[0] % (xml.length + 1));
    if (cut !== null) xml = xml.slice(0, cut % (xml.length + 1));
    return xml;
  });

const csvCell = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('ann@example.com', 'Ann', 'economy', 'economy;politics', 'politics|nope', ''),
  },
  fc.constantFrom('"', '""', '"a,b"', '"unterminated', 'a"b', '\r', '\n', '\r\n', '\uFEFF', '=cmd()', ' x@y.z '),
  hostileString,
);
const csvLine = fc.array(csvCell, { minLength: 0, maxLength: 5 }).map((cells) => cells.join(','));

/** CSV documents: a header (usually with `email`), lines with quotes, CRLF, BOM, extra columns. */
export const hostileCsv: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      'email,name,topics',
      '\uFEFFemail,name,topics',
      'EMAIL , Name',
      'name,topics',
      'email',
      '',
      'email,email',
    ),
    fc.array(csvLine, { maxLength: 6 }),
    fc.constantFrom('\n', '\r\n', '\r'),
  )
  .map(([header, lines, eol]) => [header, ...lines].join(eol));
