import type { Edition } from '../editions/edition.js';
import type { List, Publication } from '../publication.js';
import { type RenderedDigest, renderTopicSet } from '../render/digest.js';
import { compilePersonalizer } from '../render/personalize.js';
import type { Templates } from '../render/templates.js';
import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';
import { topicKey } from './audience.js';

export type Personalizer = ReturnType<typeof compilePersonalizer>;

const CACHE_LIMIT = 64;

/** A topic set's render failed as a whole: its readers get nothing, and the edition says why. */
export class RenderFailedError extends Error {
  readonly code = 'RENDER_FAILED';
  constructor(
    readonly topics: string,
    readonly reason: string,
  ) {
    super(`render for ${topics} failed: ${reason}`);
    this.name = 'RenderFailedError';
  }
}

/** What a render key holds: the digest, or why it could not be rendered. */
type StoredRender = RenderedDigest | { failed: string };

/** `a+b` for an email's render, `a+b~web` for the archive page's (topic slugs never hold `~`). */
function renderKey(topics: readonly string[], web: boolean): string {
  return web ? `${topicKey(topics)}~web` : topicKey(topics);
}

/**
 * Rendered digests per edition and topic set, kept in Redis so that every worker sends the
 * same bytes and MJML runs once per edition and topic set (SET NX: the first render wins).
 * Per process, the compiled stage-2 templates are cached, so a batch only fills in readers.
 */
export class Renders {
  private readonly compiled = new Map<string, Personalizer>();

  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
    private readonly publication: Publication,
    private readonly templates: Templates,
    private readonly archiveUrl: (edition: Edition) => string,
  ) {}

  /**
   * Render the topic set unless already stored. Returns true when this call compiled MJML.
   * `web`: the archive page's render, without the email's size budget (stored apart).
   */
  async ensure(edition: Edition, list: List, topics: string[], web = false): Promise<boolean> {
    const key = this.k.editionRender(edition.id, renderKey(topics, web));
    if (await this.redis.exists(key)) return false;
    const status = this.k.editionStatus(edition.id);
    let stored: StoredRender;
    try {
      const rendered = await renderTopicSet({
        publication: this.publication,
        list,
        edition,
        topics,
        archiveUrl: this.archiveUrl(edition),
        templates: this.templates,
        web,
      });
      const { cards, links, web: more } = rendered.shown;
      if (rendered.dropped && cards + links + more === 0) {
        throw new RenderFailedError(renderKey(topics, web), 'every briefing of this topic set was dropped');
      }
      compilePersonalizer(rendered); // stage 2 must accept it: found now, not per reader
      // A briefing whose card could not be rendered was left out: the edition names it and why.
      if (rendered.dropped) await this.redis.hset(status, 'dropped', JSON.stringify(rendered.dropped));
      stored = rendered;
    } catch (err) {
      const reason = `${(err as { code?: string }).code ?? 'RENDER_ERROR'}: ${(err as Error).message}`.slice(0, 500);
      stored = { failed: reason };
    }
    const set = await this.redis.set(key, JSON.stringify(stored), 'NX');
    if (set === 'OK' && 'failed' in stored) {
      await this.redis.hset(status, `renderError:${renderKey(topics, web)}`, stored.failed);
    }
    if (set && !web) await this.redis.hincrby(status, 'renders', 1);
    return set === 'OK';
  }

  /**
   * Forget the renders of an edition that failed (and their `renderError` entries), so the next
   * reader of such a topic set renders it again; returns the email topic sets (`a+b`) that had
   * failed. For a resume: a render that failed for a reason since fixed (a template, a worker's
   * version) is not stuck with its first failure.
   */
  async forgetFailures(editionId: string): Promise<string[]> {
    const status = this.k.editionStatus(editionId);
    const fields = (await this.redis.hkeys(status)).filter((f) => f.startsWith('renderError:'));
    const sets: string[] = [];
    for (const field of fields) {
      const key = field.slice('renderError:'.length);
      const renderKeyName = this.k.editionRender(editionId, key);
      const stored = await this.redis.get(renderKeyName);
      if (stored && 'failed' in (JSON.parse(stored) as StoredRender)) await this.redis.del(renderKeyName);
      await this.redis.hdel(status, field);
      if (!key.endsWith('~web')) sets.push(key);
    }
    return sets;
  }

  /** The stored render; null when absent. @throws RenderFailedError when it failed. */
  async get(editionId: string, key: string): Promise<RenderedDigest | null> {
    const json = await this.redis.get(this.k.editionRender(editionId, key));
    if (!json) return null;
    const stored = JSON.parse(json) as StoredRender;
    if ('failed' in stored) throw new RenderFailedError(key, stored.failed);
    return stored;
  }

  /** The compiled personalizer for a topic set (rendering it first if a reader's set is new). */
  async personalizer(edition: Edition, list: List, topics: string[], web = false): Promise<Personalizer> {
    const key = renderKey(topics, web);
    const cacheKey = `${edition.id} ${key}`;
    const cached = this.compiled.get(cacheKey);
    if (cached) return cached;
    let rendered = await this.get(edition.id, key);
    if (!rendered) {
      await this.ensure(edition, list, topics, web);
      rendered = await this.get(edition.id, key);
    }
    if (!rendered) throw new Error(`render of ${edition.id} for ${key} is missing`);
    const personalizer = compilePersonalizer(rendered);
    if (this.compiled.size >= CACHE_LIMIT) this.compiled.delete(this.compiled.keys().next().value as string);
    this.compiled.set(cacheKey, personalizer);
    return personalizer;
  }
}
