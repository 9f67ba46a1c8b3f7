import { embeddedGroup, groupIndex, isRecord, termIds } from './wordpress-posts.js';

export type Term = { id: number; name?: string; slug?: string; taxonomy?: string };

const TAXONOMIES = [
  { field: 'categories', taxonomy: 'category', path: '/wp/v2/categories', index: 0 },
  { field: 'tags', taxonomy: 'post_tag', path: '/wp/v2/tags', index: 1 },
] as const;

/**
 * Fill in category and tag names WordPress left out: `_embedded['wp:term']` holds at most 10
 * per taxonomy, so for posts with more, names come from `/wp/v2/categories` and `/wp/v2/tags`
 * (`fetchTerms`, 100 ids a request, cached per run) and are written back into `_embedded`.
 */
export async function completeTerms(
  posts: unknown[],
  cache: Map<string, Term | null>,
  fetchTerms: (path: string, ids: number[]) => Promise<unknown[] | null>,
): Promise<void> {
  for (const tax of TAXONOMIES) {
    const wanted = new Set<number>();
    for (const post of posts) {
      const ids = termIds(post, tax.field);
      if (ids.length > embeddedGroup(post, tax.taxonomy, tax.index).length) {
        for (const id of ids) if (!cache.has(`${tax.taxonomy}:${id}`)) wanted.add(id);
      }
    }
    const missing = [...wanted];
    for (let i = 0; i < missing.length; i += 100) {
      const chunk = missing.slice(i, i + 100);
      const answer = await fetchTerms(tax.path, chunk);
      if (answer === null) continue;
      for (const id of chunk) cache.set(`${tax.taxonomy}:${id}`, null);
      for (const term of answer) {
        if (isRecord(term) && typeof term.id === 'number') cache.set(`${tax.taxonomy}:${term.id}`, term as Term);
      }
    }
  }
  for (const [i, post] of posts.entries()) {
    if (!isRecord(post)) continue;
    let changed = false;
    const embedded = isRecord(post._embedded) ? { ...post._embedded } : {};
    const groups = Array.isArray(embedded['wp:term']) ? [...(embedded['wp:term'] as unknown[])] : [];
    for (const tax of TAXONOMIES) {
      const ids = termIds(post, tax.field);
      const have = embeddedGroup(post, tax.taxonomy, tax.index);
      if (ids.length <= have.length) continue;
      const byId = new Map(have.filter(isRecord).map((t) => [t.id, t]));
      const full = ids.map((id) => byId.get(id) ?? cache.get(`${tax.taxonomy}:${id}`)).filter((t) => t != null);
      const at = groupIndex(groups, tax.taxonomy, tax.index);
      while (groups.length <= at) groups.push([]);
      groups[at] = full;
      changed = true;
    }
    if (changed) posts[i] = { ...post, _embedded: { ...embedded, 'wp:term': groups } };
  }
}
