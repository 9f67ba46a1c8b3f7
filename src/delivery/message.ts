import type { Edition } from '../editions/edition.js';
import type { List } from '../publication.js';
import type { Reader } from '../subscriptions/readers.js';
import type { Tokens } from '../subscriptions/tokens.js';
import type { Address, OutgoingMessage } from './mailer.js';

export interface Identity {
  publicUrl: string;
  /** MAIL_FROM, used when the list has no sender of its own. */
  defaultFrom: string;
  unsubscribeAddress: string;
}

/**
 * The reader id signed into the links of a test copy (`gazette send --to`). Real reader ids
 * are `r` and base64url without `-` or `_`, so no reader ever has this id: the test copy's
 * unsubscribe link verifies (the page opens) but unsubscribes nobody.
 */
export const TEST_COPY_READER = 'test-copy';

/** Reader links stay valid for a year: old emails' unsubscribe links must keep working. */
export const LINK_TTL_SECONDS = 365 * 24 * 3600;

export interface ReaderLinks {
  preferencesUrl: string;
  unsubscribeUrl: string;
  unsubscribeMailto: string;
}

export function readerLinks(identity: Identity, tokens: Tokens, list: List, readerId: string): ReaderLinks {
  const unsubscribe = tokens.issue(readerId, list.id, 'unsubscribe', LINK_TTL_SECONDS);
  const preferences = tokens.issue(readerId, list.id, 'preferences', LINK_TTL_SECONDS);
  return {
    preferencesUrl: `${identity.publicUrl}/preferences/${preferences}`,
    unsubscribeUrl: `${identity.publicUrl}/unsubscribe/${unsubscribe}`,
    unsubscribeMailto: `mailto:${identity.unsubscribeAddress}?subject=${encodeURIComponent(`unsubscribe ${unsubscribe}`)}`,
  };
}

export function archiveUrl(publicUrl: string, edition: Pick<Edition, 'id' | 'listId'>): string {
  return `${publicUrl}/archive/${edition.listId}/${edition.id}`;
}

function senderDomain(from: Address): string {
  const address = typeof from === 'string' ? from : from.address;
  return /@([^>\s]+)>?\s*$/.exec(address)?.[1] ?? 'localhost';
}

/** `List-Id` value: `<list-id.sender-domain>` (RFC 2919). */
export function listIdFor(list: List, from: Address): string {
  return `${list.id}.${senderDomain(from)}`;
}

/**
 * A file name for an address, readable by people: `ada@example.com` → `ada-example-com`.
 * Two addresses can share one (`a.b@x` and `a-b@x`): the outbox adds a short hash then.
 */
export function addressSlug(email: string): string {
  return (
    email
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'reader'
  );
}

/** The envelope of one reader's copy of an edition: stable Message-ID, list headers, outbox name. */
export function envelope(
  identity: Identity,
  list: List,
  edition: Edition,
  reader: Reader,
  links: ReaderLinks,
  content: { subject: string; html: string; text: string },
): OutgoingMessage {
  return { ...readerEnvelope(identity, list, edition, reader, links), ...content };
}

/** {@link envelope} without the content: what a digest message carries besides its digest. */
export function readerEnvelope(
  identity: Identity,
  list: List,
  edition: Edition,
  reader: Reader,
  links: ReaderLinks,
): Omit<OutgoingMessage, 'subject' | 'html' | 'text'> {
  const from: Address = list.from ? { name: list.from.name, address: list.from.address } : identity.defaultFrom;
  return {
    from,
    to: reader.name ? { name: reader.name, address: reader.email } : reader.email,
    ...(list.replyTo ? { replyTo: list.replyTo } : {}),
    messageId: `<${edition.id}.${reader.id}@${senderDomain(from)}>`,
    list: { id: listIdFor(list, from), name: list.name },
    unsubscribe: { https: links.unsubscribeUrl, mailto: links.unsubscribeMailto },
    outboxName: `${edition.id}/${addressSlug(reader.email)}`,
  };
}
