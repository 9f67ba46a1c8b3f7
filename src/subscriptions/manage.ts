import type { SuppressionList } from '../delivery/suppression.js';
import type { List, Publication } from '../publication.js';
import type { ConsentEntry, Reader, ReaderStore, Subscription, SubscriptionStatus } from './readers.js';

/** The list manager's reader tools, shared by the admin API and the CLI. */

export type StatusCounts = Record<SubscriptionStatus, number> & { total: number };

/** Readers of a list by status (reads every member: fine for an admin page, paged 1,000 at a time). */
export async function countByStatus(readers: ReaderStore, list: List): Promise<StatusCounts> {
  const counts: StatusCounts = { pending: 0, confirmed: 0, unsubscribed: 0, bounced: 0, total: 0 };
  const total = await readers.memberCount(list.id);
  for (let offset = 0; offset < total; offset += 1000) {
    for (const { subscription } of await readers.loadMany(list.id, await readers.members(list.id, offset, 1000))) {
      counts[subscription.status] += 1;
      counts.total += 1;
    }
  }
  return counts;
}

export interface ReaderPage {
  readers: Array<{ reader: Reader; subscription: Subscription }>;
  /** Opaque; absent on the last page. */
  next?: string;
}

/** One page of a list's readers in join order; `cursor` from the previous page. */
export async function pageReaders(
  readers: ReaderStore,
  list: List,
  cursor: string | undefined,
  limit: number,
): Promise<ReaderPage> {
  const offset = cursor ? Number.parseInt(Buffer.from(cursor, 'base64url').toString('utf8'), 10) : 0;
  const start = Number.isSafeInteger(offset) && offset >= 0 ? offset : 0;
  const ids = await readers.members(list.id, start, limit);
  const page = await readers.loadMany(list.id, ids);
  const more = ids.length === limit && start + limit < (await readers.memberCount(list.id));
  return { readers: page, ...(more ? { next: Buffer.from(String(start + limit)).toString('base64url') } : {}) };
}

export interface ReaderDetail {
  reader: Reader;
  subscriptions: Subscription[];
  consent: ConsentEntry[];
}

/** Everything Gazette holds about a reader (the JSON export of their data). */
export async function readerDetail(
  readers: ReaderStore,
  publication: Publication,
  readerId: string,
): Promise<ReaderDetail | null> {
  const reader = await readers.get(readerId);
  if (!reader) return null;
  return {
    reader,
    subscriptions: await readers.subscriptions(
      readerId,
      publication.lists.map((l) => l.id),
    ),
    consent: await readers.consentHistory(readerId),
  };
}

/**
 * Remove a reader's record and subscriptions. With `erase`, the address is also added to the
 * suppression list, hashed (and any plain legacy entry hashed), so no key keeps the address
 * and a later import or subscribe never mails it.
 */
export async function removeReader(
  readers: ReaderStore,
  suppression: SuppressionList,
  publication: Publication,
  readerId: string,
  erase: boolean,
): Promise<Reader | null> {
  const reader = await readers.get(readerId);
  if (!reader) return null;
  if (erase) {
    await suppression.add(reader.email, 'erased');
    await suppression.hashLegacy(reader.email);
  }
  return readers.erase(
    readerId,
    publication.lists.map((l) => l.id),
  );
}
