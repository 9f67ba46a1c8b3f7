/**
 * safeFetch over real sockets, all on this machine. No request is ever sent off-host: every target
 * that is not loopback is first required to be refused by the pure `checkTarget` (no sockets), so
 * a missing check fails the test instead of connecting.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackName } from '../../src/briefings/sources/address-policy.js';
import {
  checkTarget,
  DEFAULT_FETCH_POLICY,
  FetchError,
  type FetchPolicy,
  guardedLookup,
  safeFetch,
} from '../../src/briefings/sources/fetch.js';

interface TestServer {
  port: number;
  origin: string;
  /** TCP connections accepted: a refused fetch must not even connect. */
  connections: number;
  requests: http.IncomingMessage[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function serve(handler: http.RequestListener = (_q, s) => s.end('ok')): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    state.requests.push(req);
    handler(req, res);
  });
  const state: TestServer = {
    port: 0,
    origin: '',
    connections: 0,
    requests: [],
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.origin = `http://127.0.0.1:${state.port}`;
  servers.push(state);
  return state;
}

/** A raw TCP server for responses node:http will not write (close-delimited, lying framing). */
async function serveRaw(respond: (socket: net.Socket) => void): Promise<string> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => respond(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    port: 0,
    origin: '',
    connections: 0,
    requests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  });
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
}

async function failure(promise: Promise<unknown>): Promise<FetchError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FetchError)) throw new Error(`expected a FetchError, got ${String(err)}`);
  return err;
}

/** Names this machine's /etc/hosts maps to loopback (resolved locally, never by outside DNS). */
function loopbackHostNames(): string[] {
  const text = (() => {
    try {
      return readFileSync('/etc/hosts', 'utf8');
    } catch {
      return '';
    }
  })();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const [address, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || !(address.startsWith('127.') || address === '::1')) continue;
    for (const name of aliases) if (name && !isLoopbackName(name)) names.add(name);
  }
  return [...names];
}

const PRIVATE: FetchPolicy = { ...DEFAULT_FETCH_POLICY, timeoutMs: 5_000, allowPrivate: true };
/** 1000 ms is only a backstop: refusals happen before any connection. */
const GUARDED: FetchPolicy = { ...DEFAULT_FETCH_POLICY, timeoutMs: 1_000, allowPrivate: false };

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('SSRF: inward targets are refused before connecting', () => {
  let canary: TestServer;
  beforeAll(async () => {
    canary = await serve();
  });

  // `offHost`: would leave this machine if the check were missing, so the pure check must refuse
  // it first. The others point at the canary (or at nothing listening) on loopback.
  const cases = (p: number): Array<{ url: string; offHost?: boolean }> => [
    { url: `http://127.0.0.1:${p}/` },
    { url: `https://127.0.0.1:${p}/` },
    { url: `http://127.1:${p}/` },
    { url: `http://0x7f000001:${p}/` },
    { url: `http://2130706433:${p}/` },
    { url: `http://017700000001:${p}/` },
    { url: `http://0x7f.0.0.1:${p}/` },
    { url: `http://127.0.0.2:${p}/` },
    { url: `http://[::1]:${p}/` },
    { url: `http://[::ffff:127.0.0.1]:${p}/` },
    { url: `http://[::ffff:7f00:1]:${p}/` },
    { url: `http://[0:0:0:0:0:ffff:127.0.0.1]:${p}/` },
    { url: `http://[::127.0.0.1]:${p}/` },
    { url: `http://localhost:${p}/` },
    { url: `http://LOCALHOST.:${p}/` },
    { url: `http://canary.localhost:${p}/` },
    { url: `http://0.0.0.0:${p}/` },
    { url: `http://0:${p}/` },
    { url: `http://[::]:${p}/` },
    { url: `http://[64:ff9b::7f00:1]:${p}/`, offHost: true },
    { url: `http://[2002:7f00:1::1]:${p}/`, offHost: true },
    { url: `http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:${p}/`, offHost: true },
    { url: 'http://10.0.0.1/', offHost: true },
    { url: 'http://172.16.0.1/', offHost: true },
    { url: 'http://192.168.1.1/', offHost: true },
    { url: 'http://169.254.169.254/latest/meta-data/', offHost: true },
    { url: 'http://[::ffff:169.254.169.254]/latest/meta-data/', offHost: true },
    { url: 'http://[fe80::1]/', offHost: true },
    { url: 'http://[fc00::1]/', offHost: true },
    { url: 'http://[fd00:ec2::254]/', offHost: true },
    { url: 'http://100.64.0.1/', offHost: true },
    { url: 'http://224.0.0.1/', offHost: true },
    { url: 'http://255.255.255.255/', offHost: true },
    { url: 'http://[64:ff9b::a00:1]/', offHost: true },
    { url: 'http://[2001:db8::1]/', offHost: true },
    ...loopbackHostNames().map((name) => ({ url: `http://${name}:${p}/` })),
  ];

  it('has at least 30 cases', () => {
    expect(cases(canary.port).length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases(0).map((c, i) => [c.url.replace(':0/', ':P/'), i] as const))('refuses %s', async (_label, i) => {
    const target = cases(canary.port)[i];
    if (!target) throw new Error('no case');
    if (target.offHost) expect(() => checkTarget(target.url, GUARDED)).toThrow(FetchError);
    const err = await failure(safeFetch(target.url, GUARDED));
    expect(err.code).toBe('FETCH_BLOCKED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^refused: .*\(set allowPrivate on the source to allow it\)$/);
  });

  it('the canary saw no connection at all', () => {
    expect(canary.connections).toBe(0);
    expect(canary.requests).toHaveLength(0);
  });

  it('names the address in the message', async () => {
    const err = await failure(safeFetch(`http://0x7f000001:${canary.port}/`, GUARDED));
    expect(err.message).toBe('refused: 127.0.0.1 is a loopback address (set allowPrivate on the source to allow it)');
  });
});

describe('guardedLookup (the connect-time DNS check)', () => {
  const lookup = (host: string, all: boolean) =>
    new Promise<unknown>((resolve, reject) =>
      guardedLookup(host, { all }, (err, address, family) =>
        err ? reject(err) : resolve(all ? address : [address, family]),
      ),
    );

  // Numeric names are answered by getaddrinfo itself, so these run the full resolve-then-check path offline.
  it('refuses names whose answer points inward', async () => {
    for (const host of ['127.0.0.1', '2130706433', '10.1.2.3', '::1', 'localhost', ...loopbackHostNames()]) {
      const err = await lookup(host, true).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, host).toBeInstanceOf(FetchError);
      expect((err as FetchError).code).toBe('FETCH_BLOCKED');
    }
  });

  it('passes public answers, in both callback shapes', async () => {
    expect(await lookup('93.184.216.34', true)).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect(await lookup('93.184.216.34', false)).toEqual(['93.184.216.34', 4]);
  });
});

describe('schemes', () => {
  it.each([
    'file:///etc/passwd',
    'ftp://127.0.0.1/',
    'gopher://127.0.0.1:70/_GET',
    'data:text/plain,hello',
    'javascript:alert(1)',
    'ws://127.0.0.1/',
    'not a url',
    'http://user:secret@127.0.0.1/',
  ])('refuses %s with FETCH_SCHEME, even with allowPrivate', async (url) => {
    for (const policy of [GUARDED, PRIVATE]) {
      const err = await failure(safeFetch(url, policy));
      expect(err.code).toBe('FETCH_SCHEME');
      expect(err.retryable).toBe(false);
    }
  });
});

describe('allowed private source', () => {
  it('reaches the loopback canary and sends the user agent', async () => {
    const open = await serve((_q, s) => s.end('hello'));
    const res = await safeFetch(`${open.origin}/feed`, PRIVATE);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello');
    expect(res.url).toBe(`${open.origin}/feed`);
    expect(open.requests).toHaveLength(1);
    expect(open.requests[0]?.headers['user-agent']).toBe(DEFAULT_FETCH_POLICY.userAgent);
    // The same origin without the permission is still refused (separate connection pools).
    expect((await failure(safeFetch(`${open.origin}/feed`, GUARDED))).code).toBe('FETCH_BLOCKED');
    expect(open.requests).toHaveLength(1);
  });

  it('returns non-2xx statuses to the caller', async () => {
    const s = await serve((_q, res) => res.writeHead(404).end('gone'));
    const res = await safeFetch(s.origin, PRIVATE);
    expect([res.status, res.body.toString()]).toEqual([404, 'gone']);
  });

  it('classifies a refused connection as a retryable FETCH_NETWORK', async () => {
    const s = await serve();
    const { port } = s;
    await s.close();
    const err = await failure(safeFetch(`http://127.0.0.1:${port}/`, PRIVATE));
    expect([err.code, err.retryable]).toEqual(['FETCH_NETWORK', true]);
  });
});

describe('redirects', () => {
  let site: TestServer;
  let other: TestServer;
  beforeAll(async () => {
    other = await serve((_q, s) => s.end('elsewhere'));
    site = await serve((req, res) => {
      const url = req.url ?? '/';
      const hop = /^\/hop\/(\d+)$/.exec(url);
      if (url === '/moved') res.writeHead(301, { location: '/ok' }).end('moved');
      else if (hop) res.writeHead(302, { location: Number(hop[1]) > 0 ? `/hop/${Number(hop[1]) - 1}` : '/ok' }).end();
      else if (url === '/loop') res.writeHead(307, { location: '/loop' }).end();
      else if (url === '/to-file') res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      else if (url === '/to-gopher') res.writeHead(302, { location: 'gopher://127.0.0.1:70/_' }).end();
      else if (url === '/to-other') res.writeHead(302, { location: `${other.origin}/x` }).end();
      else if (url === '/to-self') res.writeHead(302, { location: `${site.origin}/ok` }).end();
      else if (url === '/no-location') res.writeHead(302).end('stay');
      else res.end('ok');
    });
  });

  it('follows 301 to 200 and reports the final URL', async () => {
    const res = await safeFetch(`${site.origin}/moved`, PRIVATE);
    expect([res.status, res.body.toString(), res.url]).toEqual([200, 'ok', `${site.origin}/ok`]);
  });

  it('follows exactly maxRedirects, refuses one more', async () => {
    const policy = { ...PRIVATE, maxRedirects: 3 };
    expect((await safeFetch(`${site.origin}/hop/2`, policy)).url).toBe(`${site.origin}/ok`); // 3 redirects
    const err = await failure(safeFetch(`${site.origin}/hop/3`, policy)); // 4 redirects
    expect([err.code, err.retryable]).toEqual(['FETCH_REDIRECTS', false]);
    expect((await failure(safeFetch(`${site.origin}/loop`, PRIVATE))).code).toBe('FETCH_REDIRECTS');
  });

  it('re-checks the scheme on every hop', async () => {
    expect((await failure(safeFetch(`${site.origin}/to-file`, PRIVATE))).code).toBe('FETCH_SCHEME');
    expect((await failure(safeFetch(`${site.origin}/to-gopher`, PRIVATE))).code).toBe('FETCH_SCHEME');
  });

  it('drops credentials when the origin changes, keeps them on the same origin', async () => {
    const headers = { authorization: 'Bearer secret', cookie: 'session=1', 'x-trace': 'kept' };
    await safeFetch(`${site.origin}/to-other`, PRIVATE, { headers });
    const seen = other.requests.at(-1)?.headers;
    expect([seen?.authorization, seen?.cookie, seen?.['x-trace']]).toEqual([undefined, undefined, 'kept']);
    await safeFetch(`${site.origin}/to-self`, PRIVATE, { headers });
    expect(site.requests.at(-1)?.headers.authorization).toBe('Bearer secret');
  });

  it('returns a 3xx without Location as is', async () => {
    const res = await safeFetch(`${site.origin}/no-location`, PRIVATE);
    expect([res.status, res.body.toString()]).toEqual([302, 'stay']);
  });

  it('checks redirect targets with the same check as the first hop', async () => {
    // No public first hop exists here, so the inward redirect is checked through checkTarget,
    // which safeFetch calls on every Location (resolved against the current URL).
    const base = new URL('https://example.com/feed');
    for (const location of ['http://127.1/', '//[::ffff:127.0.0.1]/', 'http://169.254.169.254/']) {
      expect(() => checkTarget(new URL(location, base), GUARDED)).toThrow(/refused: /);
    }
    expect(checkTarget(new URL('/next', base), GUARDED).href).toBe('https://example.com/next');
    // And a guarded fetch of the redirecting site is refused before it can answer.
    const before = site.connections;
    expect((await failure(safeFetch(`${site.origin}/moved`, GUARDED))).code).toBe('FETCH_BLOCKED');
    expect(site.connections).toBe(before);
  });
});

describe('time cap', () => {
  it('cuts a body that drips one byte every 200 ms', async () => {
    const s = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('x'), 200);
      req.socket.on('close', () => clearInterval(timer));
    });
    const started = performance.now();
    const err = await failure(safeFetch(s.origin, { ...PRIVATE, timeoutMs: 1_000 }));
    const elapsed = performance.now() - started;
    expect([err.code, err.retryable]).toEqual(['FETCH_TIMEOUT', true]);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1_750);
  });

  it('times out waiting for headers', async () => {
    const s = await serve(() => undefined);
    const err = await failure(safeFetch(s.origin, { ...PRIVATE, timeoutMs: 300 }));
    expect(err.code).toBe('FETCH_TIMEOUT');
    expect(err.message).toBe(`timed out after 300 ms fetching ${s.origin}/`);
  });
});

describe('size cap', () => {
  const MB = 1024 * 1024;
  const policy = { ...PRIVATE, maxBytes: MB };
  const big = Buffer.alloc(2 * MB, 97);

  it('refuses a declared Content-Length over the cap', async () => {
    const s = await serve((_q, res) => res.writeHead(200, { 'content-length': big.length }).end(big));
    const err = await failure(safeFetch(s.origin, policy));
    expect([err.code, err.retryable]).toEqual(['FETCH_TOO_LARGE', false]);
  });

  it('cuts a chunked body without Content-Length', async () => {
    const s = await serve((_q, res) => {
      for (let i = 0; i < 32; i++) res.write(big.subarray(i * 65_536, (i + 1) * 65_536));
      res.end();
    });
    expect((await failure(safeFetch(s.origin, policy))).code).toBe('FETCH_TOO_LARGE');
  });

  it('cuts a close-delimited body without Content-Length', async () => {
    const url = await serveRaw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
      socket.end(big);
    });
    expect((await failure(safeFetch(url, policy))).code).toBe('FETCH_TOO_LARGE');
  });

  it('never reads past a Content-Length that understates the body', async () => {
    const url = await serveRaw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n');
      socket.end(big);
    });
    expect((await safeFetch(url, policy)).body.length).toBe(10);
  });

  it('accepts a body under the cap', async () => {
    const s = await serve((_q, res) => res.end(big.subarray(0, MB)));
    expect((await safeFetch(s.origin, policy)).body.length).toBe(MB);
  });
});
