import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  ports?: (string | number)[];
  environment?: Record<string, string> | string[];
  deploy?: { replicas?: number };
  healthcheck?: { test?: string[] | string };
  profiles?: string[];
  container_name?: string;
  entrypoint?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
}

const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function env(name: string): Record<string, string> {
  const environment = service(name).environment ?? {};
  if (!Array.isArray(environment)) return environment;
  return Object.fromEntries(environment.map((line) => [line.split('=')[0], line.split('=').slice(1).join('=')]));
}

function commandOf(name: string): string {
  const command = service(name).command;
  return Array.isArray(command) ? command.join(' ') : (command ?? '');
}

const dockerCompose = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;

describe('docker-compose.yml', () => {
  it('runs redis with AOF on and no eviction, with a healthcheck', () => {
    expect(commandOf('redis')).toContain('--appendonly yes');
    expect(commandOf('redis')).toContain('--maxmemory-policy noeviction');
    expect(service('redis').healthcheck?.test).toBeDefined();
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      const image = s.image ?? '';
      if (image === 'gazette:local') continue;
      expect(image, name).toMatch(/:v?\d+\.\d+\.\d+$/);
    }
  });

  it('exposes the mailpit web UI on 8025', () => {
    expect(service('mailpit').ports?.map(String)).toContain('8025:8025');
  });

  it.each(['api', 'worker', 'demo'])(
    '%s is the one Gazette image, talking to the redis and mailpit services',
    (name) => {
      expect(service(name).image).toBe('gazette:local');
      expect(env(name).REDIS_URL).toBe('redis://redis:6379');
      expect(env(name).MAIL_TRANSPORT).toBe('smtp://mailpit:1025');
    },
  );

  it('runs one API (published on 3000, healthchecked) and workers that scale', () => {
    expect(commandOf('api')).toBe('api');
    expect(service('api').ports?.map(String)).toContain('3000:3000');
    expect(JSON.stringify(service('api').healthcheck?.test)).toContain('/healthz');
    expect(commandOf('worker')).toBe('worker');
    expect(service('worker').healthcheck?.test).toBeDefined();
    // `--scale worker=N` needs a service without a fixed name or published port.
    expect(service('worker').ports).toBeUndefined();
    expect(service('worker').container_name).toBeUndefined();
    expect(service('worker').deploy?.replicas).toBeGreaterThan(1);
  });

  it('keeps the sample run behind the demo profile', () => {
    expect(service('demo').profiles).toEqual(['demo']);
    for (const name of ['redis', 'mailpit', 'api', 'worker']) expect(service(name).profiles, name).toBeUndefined();
  });

  it.each(['api', 'worker', 'demo'])('%s takes secrets from the environment, never literals', (name) => {
    for (const key of ['SECRET', 'ADMIN_TOKEN']) expect(env(name)[key]).toMatch(/^\$\{[A-Z_]+(:?\?[^}]*)?\}$/);
  });

  it.skipIf(!dockerCompose)('passes docker compose config', () => {
    const result = spawnSync('docker', ['compose', '--profile', 'demo', 'config', '-q'], {
      cwd: root,
      env: { ...process.env, SECRET: 'test-secret', ADMIN_TOKEN: 'test-token' },
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('Dockerfile', () => {
  it('builds and runs on node:22', () => {
    const froms = dockerfile.match(/^FROM\s+\S+/gim) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM\s+node:22(-|$)/i);
  });
});
