/**
 * Which links a briefing may carry into an email: http(s) on the source's own host or on a host
 * the source lists in `linkHosts`. Plain http is upgraded when the source itself is https.
 */

export interface LinkPolicy {
  /** The source's address. */
  url: string;
  linkHosts: readonly string[];
}

export type LinkVerdict = { url: string } | { refused: string };

function hostAllowed(host: string, own: string, listed: readonly string[]): boolean {
  if (host === own) return true;
  return listed.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : host === h));
}

export function judgeLink(link: string, policy: LinkPolicy): LinkVerdict {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return { refused: 'link is not a URL' };
  }
  const source = new URL(policy.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { refused: `link is ${url.protocol} (not http(s))` };
  const host = url.hostname.toLowerCase();
  if (!hostAllowed(host, source.hostname.toLowerCase(), policy.linkHosts)) {
    return { refused: `link points to ${host}, not to ${source.hostname} or a host in linkHosts` };
  }
  if (url.protocol === 'http:' && source.protocol === 'https:') url.protocol = 'https:';
  return { url: url.href };
}
