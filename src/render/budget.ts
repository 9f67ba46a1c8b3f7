import type { EditionSection } from '../editions/edition.js';
import { NO_TRIM, type Trim } from './view.js';

/**
 * The size budget (pure): the most generous `Trim` whose HTML fits. Cards go first from the end
 * of each section (they become title-only links), then links (they become "N more on the web").
 * `measure` gives the bytes of a trim's HTML (an estimate is fine: the caller checks the real
 * render and asks again with a smaller budget when it is over).
 */

/** Full cards each section keeps, when it can, before its links are cut. */
const TOP_CARDS = 3;

export function fitTrim(sections: readonly EditionSection[], budget: number, measure: (t: Trim) => number): Trim {
  if (measure(NO_TRIM) <= budget) return NO_TRIM;
  const longest = Math.max(0, ...sections.map((s) => s.briefings.length));
  const all = Number.POSITIVE_INFINITY;
  // Every briefing still in the email, some as links: as many full cards as fit.
  const full = largest(0, longest, (f) => measure({ full: f, links: all }) <= budget);
  if (full !== undefined) return { full, links: all };
  // Some must go to the web: keep up to TOP_CARDS full cards, then as many links as fit.
  for (let f = Math.min(TOP_CARDS, longest); f >= 0; f--) {
    const links = largest(0, longest, (l) => measure({ full: f, links: l }) <= budget);
    if (links !== undefined) return { full: f, links };
  }
  return { full: 0, links: 0 };
}

/** The largest n in [lo, hi] with `ok(n)`, for `ok` true up to some n and false after; undefined if none. */
function largest(lo: number, hi: number, ok: (n: number) => boolean): number | undefined {
  if (!ok(lo)) return undefined;
  let good = lo;
  let bad = hi + 1;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (ok(mid)) good = mid;
    else bad = mid;
  }
  return good;
}
