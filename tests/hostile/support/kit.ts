/**
 * Shared pieces of the hostile-output suites: briefings stored straight into the briefing store
 * (bypassing collection, as a briefing stored before normalization was), and an HTML walker.
 */
import { type ChildNode, type Element, isTag } from 'domhandler';
import { parseDocument } from 'htmlparser2';
import type { Briefing } from '../../../src/briefings/briefing.js';
import type { Container } from '../../../src/container.js';

/** A plain, renderable briefing `n` in `topics`, collected at `collectedAt`. */
export function briefing(n: number, topics: string[], over: Partial<Briefing> = {}): Briefing {
  return {
    id: `hostile-${n}`,
    source: 'hostile',
    sourceId: String(n),
    url: `https://news.example/briefings/${n}`,
    title: `Briefing number ${n} on ${topics.join(' and ')}`,
    publishedAt: '2026-11-20T00:00:00.000Z',
    modifiedAt: '2026-11-20T00:00:00.000Z',
    terms: [],
    topics,
    lead: `The lead of briefing ${n}.`,
    html: `<p>The lead of briefing ${n}.</p>`,
    published: true,
    ...over,
  };
}

/** Store briefings as if collected at `at` (the edition window is by collection time). */
export async function store(c: Container, briefings: Briefing[], at: Date): Promise<void> {
  for (const b of briefings) await c.services.briefings.upsert(b, at);
}

/** Subscribe and confirm readers on korea-daily; returns their ids by address. */
export async function subscribe(
  c: Container,
  readers: ReadonlyArray<{ email: string; name: string; topics: string[] }>,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const r of readers) {
    const reader = await c.services.readers.upsert(r.email, r.name);
    await c.services.readers.setSubscription('korea-daily', reader.id, {
      status: 'confirmed',
      topics: r.topics,
      consent: { source: 'test' },
    });
    ids.set(r.email, reader.id);
  }
  return ids;
}

/** Every element of an HTML document, depth first. */
export function elements(html: string): Element[] {
  const out: Element[] = [];
  const walk = (nodes: ChildNode[]) => {
    for (const n of nodes) {
      if (isTag(n)) {
        out.push(n);
        walk(n.children);
      } else if ('children' in n) walk((n as { children: ChildNode[] }).children);
    }
  };
  walk(parseDocument(html).children);
  return out;
}

/** What an email or archive page must never hold, counted. */
export interface HtmlFindings {
  dangerousElements: number;
  eventAttributes: number;
  badUrls: number;
  examples: string[];
}

const DANGEROUS = new Set(['script', 'iframe', 'object', 'embed', 'form', 'base', 'applet', 'frame', 'frameset']);
const URL_ATTRS = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'xlink:href',
  'background',
  'poster',
  'srcset',
  'lowsrc',
  'dynsrc',
  'data',
]);

export function inspectHtml(html: string): HtmlFindings {
  const f: HtmlFindings = { dangerousElements: 0, eventAttributes: 0, badUrls: 0, examples: [] };
  const note = (what: string) => {
    if (f.examples.length < 5) f.examples.push(what);
  };
  for (const el of elements(html)) {
    const name = el.name.toLowerCase();
    const refresh = name === 'meta' && (el.attribs['http-equiv'] ?? '').toLowerCase() === 'refresh';
    if (DANGEROUS.has(name) || refresh || name === 'mj-include') {
      f.dangerousElements += 1;
      note(`<${name}>`);
    }
    for (const [attr, value] of Object.entries(el.attribs)) {
      const a = attr.toLowerCase();
      if (a.startsWith('on')) {
        f.eventAttributes += 1;
        note(`${name}[${a}]`);
      }
      if (URL_ATTRS.has(a) && !/^(https?:|mailto:|#)/i.test(value.trim())) {
        f.badUrls += 1;
        note(`${name}[${a}=${value.slice(0, 40)}]`);
      }
      if (a === 'style' && /expression\s*\(|javascript:|vbscript:/i.test(value)) {
        f.badUrls += 1;
        note(`${name}[style=${value.slice(0, 40)}]`);
      }
    }
  }
  return f;
}
