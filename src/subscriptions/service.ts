import { randomBytes } from 'node:crypto';
import type { Mailer } from '../delivery/mailer.js';
import { type Identity, TEST_COPY_READER } from '../delivery/message.js';
import { addressHash, type SuppressionList } from '../delivery/suppression.js';
import type { Logger } from '../logger.js';
import { findList, type List, type Publication } from '../publication.js';
import type { Templates } from '../render/templates.js';
import type { Keys } from '../store/keys.js';
import type { Redis } from '../store/redis.js';
import { FieldError, NotFoundError, RateLimitedError } from './errors.js';
import { type Consent, InvalidReaderError, normalizeEmail, type ReaderStore, type Subscription } from './readers.js';
import { type TokenClaims, TokenError, type Tokens } from './tokens.js';
import { type TransactionalKind, transactionalMessage } from './transactional.js';

/** Confirmation links work this long. */
export const CONFIRM_TTL_SECONDS = 7 * 24 * 3600;
/** At most one confirmation email per address in this window. */
export const CONFIRM_COOLDOWN_SECONDS = 24 * 3600;
/** Subscribe requests per address per hour (beyond: 429). */
export const SUBSCRIBES_PER_ADDRESS_PER_HOUR = 10;

/** One of a reader's lists and their subscription on it. */
export interface ReaderListState {
  list: List;
  subscription: Subscription;
}

export interface SubscribeRequest {
  email: string;
  name?: string;
  listId: string;
  topics?: string[];
  consent: Consent;
}

/**
 * The reader's side: double opt-in subscribe, single-use confirm, preferences, unsubscribe.
 * `subscribe` answers the same whatever it knows about the address, and never mails an
 * address before it confirms except the one confirmation (at most one a day). Emails go out
 * after the answer (tracked, and awaited by `drain()` at shutdown), so timing tells nothing.
 */
export class SubscriptionService {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly d: {
      redis: Redis;
      k: Keys;
      publication: Publication;
      readers: ReaderStore;
      suppression: SuppressionList;
      tokens: Tokens;
      templates: Templates;
      mailer: Mailer;
      identity: Identity;
      log: Logger;
    },
  ) {}

  list(listId: string): List {
    const list = findList(this.d.publication, listId);
    if (!list) throw new NotFoundError(`unknown list "${listId}"`);
    return list;
  }

  /** Topic slugs the list offers, in its order; unknown ones are a FieldError on `topics`. */
  checkTopics(list: List, topics: readonly string[] | undefined): string[] {
    const chosen = [...new Set(topics ?? [])];
    const unknown = chosen.filter((t) => !list.topics.includes(t));
    if (unknown.length) throw new FieldError('topics', `not offered by ${list.id}: ${unknown.join(', ')}`);
    // All topics chosen is stored as "all" (empty), so topics the list adds later reach the reader.
    return chosen.length === list.topics.length ? [] : list.topics.filter((t) => chosen.includes(t));
  }

  async subscribe(req: SubscribeRequest, now = new Date()): Promise<void> {
    const list = this.list(req.listId);
    let email: string;
    try {
      email = normalizeEmail(req.email);
    } catch (err) {
      if (err instanceof InvalidReaderError) throw new FieldError('email', 'is not a valid email address');
      throw err;
    }
    const topics = this.checkTopics(list, req.topics);
    await this.limitAddress(email);
    if ((await this.d.suppression.suppressed([email])).size > 0) return;
    const known = await this.d.readers.findByEmail(email);
    const current = known ? await this.d.readers.subscription(list.id, known.id) : null;
    if (current?.status === 'confirmed') return;
    const reader = known ?? (await this.d.readers.upsert(email, req.name, now));
    await this.d.readers.setSubscription(list.id, reader.id, { status: 'pending', topics, consent: req.consent }, now);
    const first = await this.d.redis.set(
      this.d.k.throttle('confirm-mail', addressHash(email)),
      '1',
      'EX',
      CONFIRM_COOLDOWN_SECONDS,
      'NX',
    );
    if (first !== 'OK') return;
    const nonce = randomBytes(12).toString('base64url');
    await this.d.readers.setConfirmNonce(list.id, reader.id, nonce);
    const token = this.d.tokens.issue(reader.id, list.id, 'confirm', CONFIRM_TTL_SECONDS, now.getTime(), nonce);
    this.later('confirm', list, reader.id, {
      confirmUrl: `${this.d.identity.publicUrl}/confirm/${token}`,
      validDays: CONFIRM_TTL_SECONDS / 86400,
      id: nonce,
    });
  }

  /** Confirm with a single-use link. `already` when this link (or another) confirmed it before. */
  async confirm(
    token: string,
    consent: Consent,
  ): Promise<{ list: List; readerId: string; state: 'confirmed' | 'already' }> {
    const claims = this.d.tokens.verify(token, 'confirm');
    const list = this.listOf(claims);
    const sub = await this.d.readers.subscription(list.id, claims.r);
    if (!sub || !claims.n) throw new TokenError('bad-signature');
    if (!(await this.d.readers.takeConfirmNonce(list.id, claims.r, claims.n))) {
      if (sub.status === 'confirmed') return { list, readerId: claims.r, state: 'already' };
      throw new TokenError('expired');
    }
    if (sub.status !== 'pending') throw new TokenError('expired');
    await this.d.readers.setSubscription(list.id, claims.r, { status: 'confirmed', consent });
    this.later('welcome', list, claims.r, { topics: sub.topics, id: randomBytes(6).toString('hex') });
    return { list, readerId: claims.r, state: 'confirmed' };
  }

  /**
   * The reader a preferences link stands for, and every list they are on, the link's list
   * first. The link proves the reader controls the address (it was mailed there), so its page
   * shows and saves all their lists, not only the one whose email held the link.
   */
  async preferences(token: string): Promise<{ list: List; claims: TokenClaims; lists: ReaderListState[] }> {
    const claims = this.d.tokens.verify(token, 'preferences');
    const list = this.listOf(claims);
    const own = await this.d.readers.subscription(list.id, claims.r);
    if (!own) throw new TokenError('bad-signature');
    const others = this.d.publication.lists.filter((l) => l.id !== list.id);
    const found = await this.d.readers.subscriptions(
      claims.r,
      others.map((l) => l.id),
    );
    const lists = [
      { list, subscription: own },
      ...found.map((subscription) => ({ list: this.list(subscription.listId), subscription })),
    ];
    return { list, claims, lists };
  }

  /**
   * Save topics (and leaving or rejoining) for any of the reader's lists, from the preferences
   * page. A list the reader is not on is a FieldError on `lists`; only lists whose status or
   * topics change are written (each with its consent entry).
   */
  async savePreferences(
    token: string,
    changes: ReadonlyArray<{ listId: string; topics: string[]; subscribed: boolean }>,
    consent: Consent,
  ): Promise<ReaderListState[]> {
    const { claims, lists } = await this.preferences(token);
    const byId = new Map(lists.map((s) => [s.list.id, s]));
    const planned = changes.map((change) => {
      const current = byId.get(change.listId);
      if (!current) throw new FieldError('lists', `not a list you are on: ${change.listId.slice(0, 63)}`);
      return { current, change, topics: this.checkTopics(current.list, change.topics) };
    });
    for (const { current, change, topics } of planned) {
      const before = current.subscription;
      let status = before.status;
      if (!change.subscribed && status !== 'bounced') status = 'unsubscribed';
      // Rejoining from a signed link is fine: the link proves the address once confirmed.
      if (change.subscribed && status === 'unsubscribed') status = 'confirmed';
      if (status === before.status && topics.join(' ') === before.topics.join(' ')) continue;
      current.subscription = await this.d.readers.setSubscription(current.list.id, claims.r, {
        status,
        topics,
        consent,
      });
    }
    return lists;
  }

  /** The list of a valid link from a test copy (`gazette send --to`), which stands for no reader; else null. */
  testCopyList(token: string, purpose: 'preferences' | 'unsubscribe'): List | null {
    const claims = this.d.tokens.verify(token, purpose);
    return claims.r === TEST_COPY_READER ? this.listOf(claims) : null;
  }

  /** Verify an unsubscribe link without changing anything (the GET page). */
  async unsubscribeTarget(
    token: string,
  ): Promise<{ list: List; subscription: Subscription | null; testCopy: boolean }> {
    const claims = this.d.tokens.verify(token, 'unsubscribe');
    const list = this.listOf(claims);
    return {
      list,
      subscription: await this.d.readers.subscription(list.id, claims.r),
      testCopy: claims.r === TEST_COPY_READER,
    };
  }

  /**
   * RFC 8058 one-click: idempotent; the first call records consent, repeats change nothing.
   * `testCopy`: the link came from a test copy (`gazette send --to`) and unsubscribed nobody.
   */
  async unsubscribe(token: string, consent: Consent): Promise<{ list: List; testCopy: boolean }> {
    const claims = this.d.tokens.verify(token, 'unsubscribe');
    const list = this.listOf(claims);
    const sub = await this.d.readers.subscription(list.id, claims.r);
    if (sub && sub.status !== 'unsubscribed' && sub.status !== 'bounced') {
      await this.d.readers.setSubscription(list.id, claims.r, { status: 'unsubscribed', consent });
    }
    return { list, testCopy: claims.r === TEST_COPY_READER };
  }

  /** Wait for the emails still being sent (shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private listOf(claims: TokenClaims): List {
    const list = findList(this.d.publication, claims.l);
    if (!list) throw new TokenError('bad-signature');
    return list;
  }

  private async limitAddress(email: string): Promise<void> {
    const key = this.d.k.throttle('subscribe', addressHash(email));
    const [[, count], [, ttl]] = (await this.d.redis.multi().incr(key).ttl(key).exec()) as [
      [null, number],
      [null, number],
    ];
    if (ttl < 0) await this.d.redis.expire(key, 3600);
    if (count > SUBSCRIBES_PER_ADDRESS_PER_HOUR) throw new RateLimitedError(ttl > 0 ? ttl : 3600);
  }

  private later(
    kind: TransactionalKind,
    list: List,
    readerId: string,
    extra: Parameters<typeof transactionalMessage>[4],
  ): void {
    const job = (async () => {
      const reader = await this.d.readers.get(readerId);
      if (!reader) return;
      const message = await transactionalMessage(this.d, kind, list, reader, extra);
      await this.d.mailer.send(message);
      this.d.log.info({ event: `reader.${kind}-sent`, listId: list.id, readerId }, `${kind} email sent`);
    })().catch((err: unknown) => {
      const e = err as { code?: string; responseCode?: number };
      this.d.log.error(
        { event: `reader.${kind}-failed`, listId: list.id, readerId, code: e.code, responseCode: e.responseCode },
        `${kind} email failed`,
      );
    });
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
  }
}
