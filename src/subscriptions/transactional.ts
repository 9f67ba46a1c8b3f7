import mjml2html from 'mjml';
import type { Address, OutgoingMessage } from '../delivery/mailer.js';
import { type Identity, listIdFor, readerLinks } from '../delivery/message.js';
import type { List, Publication } from '../publication.js';
import type { Templates } from '../render/templates.js';
import type { Reader } from './readers.js';
import type { Tokens } from './tokens.js';

/** The emails of the subscription flow (not editions): rendered from `templates/<kind>.mjml.hbs`. */
export type TransactionalKind = 'confirm' | 'welcome';

export class TransactionalRenderError extends Error {
  readonly code = 'MJML_INVALID';
}

function topicNames(publication: Publication, list: List, topics: readonly string[]): string {
  const chosen = topics.length ? topics : list.topics;
  const names = chosen.map((slug) => publication.topics.find((t) => t.slug === slug)?.name ?? slug);
  return names.join(', ');
}

/**
 * Build one transactional email. MJML runs per email here: these are single messages, not
 * editions, and the templates are small. `extra.confirmUrl` is required for `confirm`.
 */
export async function transactionalMessage(
  deps: { publication: Publication; templates: Templates; tokens: Tokens; identity: Identity },
  kind: TransactionalKind,
  list: List,
  reader: Reader,
  extra: { confirmUrl?: string; topics?: string[]; validDays?: number; id: string },
): Promise<OutgoingMessage> {
  const links = readerLinks(deps.identity, deps.tokens, list, reader.id);
  const view = {
    list: {
      name: list.name,
      description: list.description,
      postalLines: list.postalAddress.split(/\r?\n/),
    },
    confirmUrl: extra.confirmUrl ?? '',
    validDays: extra.validDays ?? 7,
    topicNames: topicNames(deps.publication, list, extra.topics ?? []),
    preferencesUrl: links.preferencesUrl,
    unsubscribeUrl: links.unsubscribeUrl,
  };
  const result = await mjml2html(deps.templates.render(kind, 'mjml', view), { validationLevel: 'strict', fonts: {} });
  if (result.errors.length > 0) {
    throw new TransactionalRenderError(`${kind}.mjml.hbs: ${result.errors.map((e) => e.message).join('; ')}`);
  }
  const from: Address = list.from ? { name: list.from.name, address: list.from.address } : deps.identity.defaultFrom;
  const domain = /@([^>\s]+)>?\s*$/.exec(typeof from === 'string' ? from : from.address)?.[1] ?? 'localhost';
  return {
    from,
    to: reader.name ? { name: reader.name, address: reader.email } : reader.email,
    ...(list.replyTo ? { replyTo: list.replyTo } : {}),
    subject: kind === 'confirm' ? `Confirm your subscription to ${list.name}` : `Welcome to ${list.name}`,
    html: result.html,
    text: deps.templates.render(kind, 'text', view),
    messageId: `<${kind}.${list.id}.${reader.id}.${extra.id}@${domain}>`,
    kind: 'transactional',
    // A confirmation goes to an address that is on no list yet (maybe typed by someone else):
    // it is not a list message (RFC 2369), so no List-* headers and no one-click unsubscribe
    // for mail clients to offer; ignoring it is the way out. The welcome is the list's first
    // message to a confirmed reader: it carries the list headers and a working one-click.
    ...(kind === 'welcome'
      ? {
          list: { id: listIdFor(list, from), name: list.name },
          unsubscribe: { https: links.unsubscribeUrl, mailto: links.unsubscribeMailto },
        }
      : {}),
    outboxName: `transactional/${kind}-${list.id}-${reader.id}-${extra.id}`,
  };
}
