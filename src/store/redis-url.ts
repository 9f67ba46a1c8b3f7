/**
 * What a `REDIS_URL` points at, without connecting: one Redis (`redis://`, `rediss://`) or a
 * Redis Cluster through one or more seed nodes (`redis+cluster://`, `rediss+cluster://`, seeds
 * separated by commas: `redis+cluster://:pass@10.0.0.1:7000,10.0.0.2:7000`). The client learns
 * every other node from the seeds.
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | {
      kind: 'cluster';
      nodes: Array<{ host: string; port: number }>;
      username?: string;
      password?: string;
      tls: boolean;
    };

const SCHEMES = /^(rediss?)(\+cluster)?:\/\//;

/** Parse a Redis URL; throws an Error saying what is wrong (never echoing a password). */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = SCHEMES.exec(url);
  if (!scheme) throw new Error('must be redis://, rediss://, redis+cluster:// or rediss+cluster://');
  if (!scheme[2]) {
    if (!URL.canParse(url)) throw new Error('is not a valid URL');
    return { kind: 'single', url };
  }
  // URL cannot parse several hosts: read the authority by hand, credentials with URL.
  const rest = url.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (path !== '' && path !== '/' && path !== '/0') {
    throw new Error('a Redis Cluster has only database 0: drop the /N from the URL');
  }
  const at = authority.lastIndexOf('@');
  const hosts = authority.slice(at + 1);
  const creds = URL.canParse(`redis://${authority.slice(0, at + 1)}seed`)
    ? new URL(`redis://${authority.slice(0, at + 1)}seed`)
    : undefined;
  if (!creds) throw new Error('has credentials that are not user:password@ (percent-encode / : @ in them)');
  const nodes = hosts.split(',').map((hostPort) => {
    const u = URL.canParse(`redis://${hostPort}`) ? new URL(`redis://${hostPort}`) : undefined;
    if (!u?.hostname || u.pathname !== '' || u.username) throw new Error('lists a seed node that is not host:port');
    return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : 6379 };
  });
  return {
    kind: 'cluster',
    nodes,
    ...(creds.username ? { username: decodeURIComponent(creds.username) } : {}),
    ...(creds.password ? { password: decodeURIComponent(creds.password) } : {}),
    tls: scheme[1] === 'rediss',
  };
}

/**
 * The hash tag of a key prefix, as Redis Cluster reads it: what lies between the first `{` and
 * the next `}`, when that is not empty. Every key Gazette and BullMQ write starts with the
 * prefix, so with a tag they all hash to one slot (and multi-key scripts and transactions work).
 */
export function hashTag(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open === -1) return undefined;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : undefined;
}

/** A Redis URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}
