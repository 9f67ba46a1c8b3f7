import type { FetchResult } from './fetch.js';
import { retryableStatus, SourceError } from './source.js';
import { isHtml, wpError } from './wordpress-posts.js';

/** A page past the last one: the run ends there. */
export const END = Symbol('end of results');

/** A REST answer: its JSON, where it came from, and `X-WP-Total` when the site sent one. */
export interface Answer {
  json: unknown;
  url: string;
  total?: number;
}

/** Turn a WordPress REST answer into JSON, END, or a SourceError that says whether a retry can help. */
export function judgeResponse(res: FetchResult, pageMayEnd: boolean): Answer | typeof END {
  const text = res.body.toString('utf8');
  const html = isHtml(res, text);
  let json: unknown;
  let parseError: unknown;
  if (!html) {
    try {
      json = JSON.parse(text);
    } catch (err) {
      parseError = err;
    }
  }
  if (res.status >= 200 && res.status < 300) {
    if (html) {
      throw new SourceError(
        'WP_NOT_JSON',
        `${res.url} answered HTTP ${res.status} with an HTML page instead of JSON (REST API disabled, or a login, maintenance or cache page in front of it?)`,
        false,
      );
    }
    if (parseError !== undefined) {
      const detail = parseError instanceof Error ? parseError.message : String(parseError);
      throw new SourceError(
        'WP_BAD_JSON',
        `${res.url} answered truncated or malformed JSON (${res.body.length} bytes): ${detail}`,
        true,
      );
    }
    if (pageMayEnd && Array.isArray(json) && json.length === 0) return END;
    const total = Number.parseInt(res.headers.get('x-wp-total') ?? '', 10);
    return Number.isFinite(total) ? { json, url: res.url, total } : { json, url: res.url };
  }
  const wp = wpError(json);
  const said = wp ? ` (${wp.code}${wp.message ? `: ${wp.message}` : ''})` : html ? ' (an HTML page)' : '';
  const what = `${res.url} answered HTTP ${res.status}${said}`;
  if (res.status === 400 && wp?.code === 'rest_post_invalid_page_number' && pageMayEnd) return END;
  switch (res.status) {
    case 400:
      throw new SourceError('WP_INVALID_PARAM', `${what}: the site rejected the query`, false);
    case 401:
      throw new SourceError('WP_UNAUTHORIZED', `${what}: the REST API requires authentication`, false);
    case 403:
      throw new SourceError('WP_FORBIDDEN', `${what}: the REST API refused anonymous access`, false);
    case 404:
      throw new SourceError(
        'WP_REST_UNAVAILABLE',
        `${what}: the REST API (or its posts route) is disabled or not at this address`,
        false,
      );
    default: {
      const retryable = retryableStatus(res.status);
      throw new SourceError(`HTTP_${res.status}`, what, retryable);
    }
  }
}
