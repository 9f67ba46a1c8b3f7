import type { Topic } from '../publication.js';

/** What the classifier looks at: publisher terms, title and lead. */
export interface Classifiable {
  terms: readonly string[];
  title: string;
  lead: string;
}

function normalizeTerm(term: string): string {
  return term
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function keywordPattern(keywords: string[], flags: string): RegExp {
  const alternatives = keywords.map((k) => escapeRegExp(k.trim()).replace(/\s+/g, '\\s+'));
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, flags);
}

/**
 * A keyword matcher on word boundaries, case-insensitive, Unicode-aware: "China" matches
 * "China's" and "(China)" but not "Chinatown". Spaces in a keyword match any run of whitespace.
 */
export function keywordMatcher(keywords: string[]): (text: string) => boolean {
  if (keywords.length === 0) return () => false;
  const re = keywordPattern(keywords, 'iu');
  return (text) => re.test(text);
}

/** How many times any of `keywords` occurs in a text, on the same word boundaries. */
export function keywordCounter(keywords: string[]): (text: string) => number {
  if (keywords.length === 0) return () => 0;
  const re = keywordPattern(keywords, 'giu');
  return (text) => text.match(re)?.length ?? 0;
}

/** Why a briefing is in a topic: matching categories/tags, keyword hits in title and lead. */
export interface TopicScore {
  slug: string;
  terms: number;
  title: number;
  lead: number;
}

/**
 * Orders two scores, better first: a category/tag mapping beats any keyword, then a title hit
 * beats any number of lead hits, then more hits beat fewer. 0 for a tie.
 */
export function compareScores(a: TopicScore, b: TopicScore): number {
  return b.terms - a.terms || b.title - a.title || b.lead - a.lead;
}

export type Scorer = (briefing: Classifiable) => TopicScore[];
export type Classifier = (briefing: Classifiable) => string[];

/**
 * Score a briefing against the configured topics: the topics it belongs to (a category/tag maps
 * to it, or a keyword occurs in title or lead), best first; ties keep configuration order.
 */
export function createScorer(topics: readonly Topic[]): Scorer {
  const rules = topics.map((t) => ({
    slug: t.slug,
    terms: new Set(t.terms.map(normalizeTerm)),
    count: keywordCounter(t.keywords),
  }));
  return (briefing) => {
    const terms = new Set(briefing.terms.map(normalizeTerm));
    return rules
      .map((r) => ({
        slug: r.slug,
        terms: [...terms].filter((term) => r.terms.has(term)).length,
        title: r.count(briefing.title),
        lead: r.count(briefing.lead),
      }))
      .filter((s) => s.terms + s.title + s.lead > 0)
      .sort(compareScores);
  };
}

/**
 * Build a classifier for the configured topics: a briefing belongs to a topic when one of its
 * categories/tags maps to it, or when its title or lead matches one of the topic's keywords.
 * Topics come back best-scoring first (see `compareScores`); the renderer shows a briefing under
 * the first of them a reader follows. A briefing matching none gets the fallback topic.
 */
export function createClassifier(topics: readonly Topic[], fallbackTopic: string): Classifier {
  const score = createScorer(topics);
  return (briefing) => {
    const picked = score(briefing).map((s) => s.slug);
    return picked.length > 0 ? picked : [fallbackTopic];
  };
}
