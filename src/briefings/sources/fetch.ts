import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, fetch } from 'undici';
import { classifyAddress, isLoopbackName } from './address-policy.js';

/**
 * The only outbound HTTP in Gazette. Refuses non-http(s) URLs and, unless a source is allowed to
 * reach private networks, any target that is not a public unicast address, checked on the address
 * actually dialled (IP literals before connecting, names inside the socket's DNS lookup), on every
 * redirect hop. No retries here: BullMQ retries, guided by {@link FetchError.retryable}.
 */

/** How one source may be fetched. */
export interface FetchPolicy {
  /** Cap on the whole request: connect, every redirect hop, headers and body. */
  timeoutMs: number;
  /** Cap on the (decoded) body; larger bodies fail as soon as the cap is passed. */
  maxBytes: number;
  /** Allow loopback, private and other non-public targets (a source on the operator's network). */
  allowPrivate: boolean;
  /** @defaultValue 5 */
  maxRedirects: number;
  userAgent?: string;
}

export const DEFAULT_FETCH_POLICY: Readonly<FetchPolicy> = Object.freeze({
  timeoutMs: 15_000,
  maxBytes: 5 * 1024 * 1024,
  allowPrivate: false,
  maxRedirects: 5,
  userAgent: 'Gazette/0.1 (newsletter digest)',
});

/**
 * Stable codes. `FETCH_TIMEOUT` and `FETCH_NETWORK` are retryable; the others are permanent for
 * this URL and policy.
 */
export type FetchErrorCode =
  | 'FETCH_SCHEME'
  | 'FETCH_BLOCKED'
  | 'FETCH_TIMEOUT'
  | 'FETCH_TOO_LARGE'
  | 'FETCH_NETWORK'
  | 'FETCH_REDIRECTS';

export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly code: FetchErrorCode;
  readonly retryable: boolean;
  /** The URL of the hop that failed (after redirects, not always the one asked for). */
  readonly url: string;

  constructor(code: FetchErrorCode, message: string, url: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.retryable = code === 'FETCH_TIMEOUT' || code === 'FETCH_NETWORK';
    this.url = url;
  }
}

export interface FetchResult {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

const ALLOW_HINT = '(set allowPrivate on the source to allow it)';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Credentials that must not follow a redirect to another origin. */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * Socket DNS lookup that refuses when any resolved address is not public. Runs at connect time,
 * so DNS answers (and rebinding between checks) cannot point a connection inward.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  if (isLoopbackName(hostname)) {
    callback(new FetchError('FETCH_BLOCKED', `refused: ${hostname} is a loopback name ${ALLOW_HINT}`, hostname), '');
    return;
  }
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    for (const { address } of addresses) {
      const verdict = classifyAddress(address);
      if (!verdict.allowed) {
        const message = `refused: ${hostname} resolves to ${address}, ${verdict.reason} ${ALLOW_HINT}`;
        return callback(new FetchError('FETCH_BLOCKED', message, hostname), '');
      }
    }
    const first = addresses[0];
    if (options.all) return callback(null, addresses);
    if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    callback(null, first.address, first.family);
  });
};

const guardedAgent = new Agent({ connect: { lookup: guardedLookup } });
const openAgent = new Agent();

/**
 * The check every hop passes before connecting: an absolute http(s) URL without credentials and,
 * unless `allowPrivate`, not an IP literal outside public unicast. Names are checked at connect
 * time by {@link guardedLookup}. WHATWG URL parsing has already normalised `127.1`, `0x7f000001`,
 * `2130706433` and `[::ffff:127.0.0.1]` to canonical literals.
 */
export function checkTarget(url: string | URL, policy: Pick<FetchPolicy, 'allowPrivate'>): URL {
  const shown = String(url);
  const parsed = URL.canParse(shown) ? new URL(shown) : undefined;
  if (!parsed) throw new FetchError('FETCH_SCHEME', `refused: ${shown} is not an absolute URL`, shown);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new FetchError(
      'FETCH_SCHEME',
      `refused: ${parsed.protocol} URLs are not fetched (http and https only)`,
      shown,
    );
  }
  if (parsed.username || parsed.password) {
    throw new FetchError('FETCH_SCHEME', 'refused: URLs with embedded credentials are not fetched', shown);
  }
  if (policy.allowPrivate) return parsed;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) {
    const verdict = classifyAddress(host);
    if (!verdict.allowed)
      throw new FetchError('FETCH_BLOCKED', `refused: ${host} is ${verdict.reason} ${ALLOW_HINT}`, shown);
  }
  return parsed;
}

/**
 * Fetches `url` with GET. Non-2xx statuses are returned for the caller to judge; 3xx with a
 * `Location` are followed up to `policy.maxRedirects`, each hop re-checked, and credentials are
 * dropped when a hop changes origin.
 *
 * @throws {FetchError} for refused URLs and targets, timeouts, oversized bodies, too many
 * redirects and network failures.
 */
export async function safeFetch(
  url: string,
  policy: FetchPolicy,
  init?: { headers?: Record<string, string> },
): Promise<FetchResult> {
  const signal = AbortSignal.timeout(policy.timeoutMs);
  const headers = new Headers(init?.headers);
  if (!headers.has('user-agent')) headers.set('user-agent', policy.userAgent ?? DEFAULT_FETCH_POLICY.userAgent ?? '');
  let current = checkTarget(url, policy);
  for (let hop = 0; ; hop++) {
    const response = await send(current, headers, policy, signal);
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null) {
      const body = await readBody(response, current.href, policy, signal);
      return { status: response.status, headers: new Headers([...response.headers]), body, url: current.href };
    }
    await response.body?.cancel().catch(() => undefined);
    if (hop >= policy.maxRedirects) {
      throw new FetchError('FETCH_REDIRECTS', `more than ${policy.maxRedirects} redirects from ${url}`, current.href);
    }
    const next = checkTarget(new URL(location, current), policy);
    if (next.origin !== current.origin) for (const name of ORIGIN_BOUND_HEADERS) headers.delete(name);
    current = next;
  }
}

type UndiciResponse = Awaited<ReturnType<typeof fetch>>;

async function send(target: URL, headers: Headers, policy: FetchPolicy, signal: AbortSignal): Promise<UndiciResponse> {
  try {
    return await fetch(target, {
      headers: [...headers],
      redirect: 'manual',
      signal,
      dispatcher: policy.allowPrivate ? openAgent : guardedAgent,
    });
  } catch (err) {
    throw toFetchError(err, target.href, policy, signal);
  }
}

async function readBody(response: UndiciResponse, url: string, policy: FetchPolicy, signal: AbortSignal) {
  const tooLarge = () =>
    new FetchError('FETCH_TOO_LARGE', `refused: ${url} is larger than ${policy.maxBytes} bytes`, url);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > policy.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    // Leaving the loop early cancels the stream, which aborts the download.
    for await (const chunk of response.body ?? []) {
      received += chunk.byteLength;
      if (received > policy.maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (err) {
    throw toFetchError(err, url, policy, signal);
  }
  return Buffer.concat(chunks, received);
}

/** Maps whatever undici threw to a {@link FetchError}, keeping a refusal raised in the lookup. */
function toFetchError(err: unknown, url: string, policy: FetchPolicy, signal: AbortSignal): FetchError {
  for (let cause = err, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause instanceof FetchError) {
      return cause.url === url ? cause : new FetchError(cause.code, cause.message, url, { cause: err });
    }
  }
  if (signal.aborted) {
    return new FetchError('FETCH_TIMEOUT', `timed out after ${policy.timeoutMs} ms fetching ${url}`, url, {
      cause: err,
    });
  }
  const detail = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
  return new FetchError('FETCH_NETWORK', `network error fetching ${url}: ${detail}`, url, { cause: err });
}
