import { randomBytes } from 'node:crypto';
import { archiveUrl, envelope, type Identity, readerLinks, TEST_COPY_READER } from '../delivery/message.js';
import { readerTopics } from '../editions/plan.js';
import { findList } from '../publication.js';
import { renderTopicSet } from '../render/digest.js';
import { compilePersonalizer } from '../render/personalize.js';
import type { Services } from '../services.js';
import { InvalidReaderError, normalizeEmail } from '../subscriptions/readers.js';
import { UsageError } from './boot.js';

/** Subject prefix of a test copy. */
export const TEST_SUBJECT_PREFIX = '[Test] ';

export interface TestCopyResult {
  editionId: string;
  subject: string;
  messageId: string;
  /** SMTP answer or outbox file. */
  response: string;
}

/**
 * Send one address a test copy of the list's edition that would go out at `at`: every topic
 * of the edition, "[Test]" in the subject, through the same mailer (DKIM and headers alike).
 * Outside the ledger and the audience: nothing is planned, frozen, rendered into Redis or
 * recorded, and the address needs no subscription. Its reader links are signed for
 * {@link TEST_COPY_READER}, so they open but change no reader. Suppressed addresses are refused.
 */
export async function sendTestCopy(
  s: Services,
  req: { listId: string; to: string; at: Date },
): Promise<TestCopyResult | null> {
  const list = findList(s.publication, req.listId);
  if (!list) throw new UsageError(`--list: unknown list "${req.listId}"`);
  let to: string;
  try {
    to = normalizeEmail(req.to);
  } catch (err) {
    if (err instanceof InvalidReaderError) throw new UsageError(`--to: not a valid email address: ${req.to}`);
    throw err;
  }
  if ((await s.suppression.suppressed([to])).size > 0)
    throw new UsageError(`--to: ${to} is on the suppression list; Gazette never sends to it`);
  const edition = await s.planner.draft(list.id, req.at);
  if (!edition) return null;
  const rendered = await renderTopicSet({
    publication: s.publication,
    list,
    edition,
    topics: readerTopics(edition, list, []),
    archiveUrl: archiveUrl(s.config.publicUrl, edition),
    templates: s.templates,
  });
  const identity: Identity = {
    publicUrl: s.config.publicUrl,
    defaultFrom: s.config.mail.from,
    unsubscribeAddress: s.config.mail.unsubscribeAddress,
  };
  const links = readerLinks(identity, s.tokens, list, TEST_COPY_READER);
  const content = compilePersonalizer(rendered)({
    name: '',
    preferencesUrl: links.preferencesUrl,
    unsubscribeUrl: links.unsubscribeUrl,
  });
  const nonce = randomBytes(6).toString('hex');
  const reader = { id: TEST_COPY_READER, email: to, name: '', createdAt: '' };
  const message = envelope(identity, list, edition, reader, links, {
    ...content,
    subject: `${TEST_SUBJECT_PREFIX}${content.subject}`,
  });
  // A new Message-ID per test copy: a second test of the same edition is a new message.
  const domain = /@([^>]+)>$/.exec(message.messageId)?.[1] ?? 'localhost';
  const messageId = `<test.${edition.id}.${nonce}@${domain}>`;
  const receipt = await s.mailer.send({
    ...message,
    messageId,
    outboxName: `test-copies/${edition.id}-${nonce}`,
  });
  return { editionId: edition.id, subject: message.subject, messageId: receipt.messageId, response: receipt.response };
}
