/**
 * The one place for the small value helpers every source and the renderer share: http(s) URLs,
 * UTC times, and the private-use character that stands in for `{` between the render stages.
 */

/**
 * Stands in for `{` from publisher data between the render stages, so stage 2 never reads
 * publisher text as a Handlebars expression. Parsing strips it from all input, so it cannot
 * occur naturally; `src/render/` turns it back into `{` (text) or `&#123;` (HTML).
 */
export const BRACE_SENTINEL = '\uE000';

/** `link` as an absolute http(s) URL (normalized by WHATWG URL), or undefined. */
export function httpUrl(link: string, base?: string): string | undefined {
  try {
    const url = new URL(link.trim(), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?/;
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2}|\b(?:UT|UTC|GMT|[ECMP][SD]T))$/i;

/**
 * ISO-8601 UTC (`2023-08-31T23:00:37.000Z`) from ISO-8601/RFC 3339 (WordPress, Atom) or RFC 822
 * (RSS); undefined when it is not a date-time. A time without a zone is read as UTC: `new Date`
 * would read it in the server's zone, and nothing Gazette stores may depend on the host.
 */
export function utcTime(value: string): string | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  const zoned =
    HAS_ZONE.test(text) || ISO_DATE.test(text) ? text : ISO_DATE_TIME.test(text) ? `${text}Z` : `${text} GMT`;
  const time = new Date(zoned);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}
