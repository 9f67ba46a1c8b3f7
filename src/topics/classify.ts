import type { Topic } from '../publication.js';

/** What the classifier looks at: publisher terms, title and lead. */
export interface Classifiable {
  terms: string[];
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

/**
 * A keyword matcher on word boundaries, case-insensitive, Unicode-aware: "China" matches
 * "China's" and "(China)" but not "Chinatown". Spaces in a keyword match any run of whitespace.
 */
export function keywordMatcher(keywords: string[]): (text: string) => boolean {
  if (keywords.length === 0) return () => false;
  const alternatives = keywords.map((k) => escapeRegExp(k.trim()).replace(/\s+/g, '\\s+'));
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'iu');
  return (text) => re.test(text);
}

export type Classifier = (briefing: Classifiable) => string[];

/**
 * Build a classifier for the configured topics: a briefing belongs to a topic when one of its
 * categories/tags maps to it, or when its title or lead matches one of the topic's keywords.
 * A briefing matching none gets the fallback topic. Topics come back in configuration order.
 */
export function createClassifier(topics: readonly Topic[], fallbackTopic: string): Classifier {
  const rules = topics.map((t) => ({
    slug: t.slug,
    terms: new Set(t.terms.map(normalizeTerm)),
    matches: keywordMatcher(t.keywords),
  }));
  return (briefing) => {
    const terms = briefing.terms.map(normalizeTerm);
    const text = `${briefing.title}\n${briefing.lead}`;
    const picked = rules.filter((r) => terms.some((term) => r.terms.has(term)) || r.matches(text)).map((r) => r.slug);
    return picked.length > 0 ? picked : [fallbackTopic];
  };
}
