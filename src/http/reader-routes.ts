import { z } from 'zod';
import { LINK_TTL_SECONDS } from '../delivery/message.js';
import type { Services } from '../services.js';
import { FieldError } from '../subscriptions/errors.js';
import { wantsJson } from './errors.js';
import type { Pages } from './pages.js';
import { consentOf, listView, manyStrings, tokenParams, type ZodApp } from './types.js';

export const subscribeBody = z.object({
  email: z.string().trim().min(1, 'is required').max(254),
  name: z.string().max(100).optional(),
  list: z.string().min(1).max(63),
  topics: manyStrings,
});

/**
 * The preferences form: `lists` names the lists on the form (a browser leaves unchecked boxes
 * out, so an all-unchecked list still says it was there), then `topics.<list>` and
 * `subscribed.<list>=yes` per list. A form without `lists` (rendered before the page showed
 * several lists) is `topics` and `subscribed` for the link's own list.
 */
export const preferencesBody = z.record(
  z.string().max(100),
  z.union([z.string().max(200), z.array(z.string().max(200)).max(100)]),
);

type PreferencesBody = z.infer<typeof preferencesBody>;

function field(body: PreferencesBody, name: string): string[] {
  const v = Object.hasOwn(body, name) ? body[name] : undefined;
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function yes(body: PreferencesBody, name: string): boolean {
  const v = field(body, name);
  if (v.length > 1 || (v.length === 1 && v[0] !== 'yes')) throw new FieldError(name, 'must be "yes" or absent');
  return v.length === 1;
}

function preferenceChanges(body: PreferencesBody, linkListId: string) {
  const listIds = [...new Set(field(body, 'lists'))];
  if (listIds.length === 0)
    return [{ listId: linkListId, topics: field(body, 'topics'), subscribed: yes(body, 'subscribed') }];
  return listIds.map((listId) => ({
    listId,
    topics: field(body, `topics.${listId}`),
    subscribed: yes(body, `subscribed.${listId}`),
  }));
}

const STATUS_TEXT = {
  confirmed: 'Subscribed',
  pending: 'Waiting for you to confirm: open the link in the confirmation email',
  unsubscribed: 'Unsubscribed: nothing is sent',
  bounced: 'Stopped: mail to this address bounced',
} as const;

const HTML = 'text/html; charset=utf-8';

/** Subscribe, confirm, preferences and unsubscribe: thin routes over SubscriptionService. */
export function registerReaderRoutes(
  app: ZodApp,
  s: Services,
  pages: Pages,
  limits: { subscribePerIpPerMinute: number },
): void {
  const flows = s.subscriptions;

  app.get('/subscribe/:list', { schema: { params: z.object({ list: z.string().max(63) }) } }, async (req, reply) => {
    const list = flows.list(req.params.list);
    const topics = list.topics.map((slug) => ({
      slug,
      name: s.publication.topics.find((t) => t.slug === slug)?.name ?? slug,
    }));
    return reply
      .type(HTML)
      .send(
        pages.render('subscribe', { title: `Subscribe`, ...listView(list), description: list.description, topics }),
      );
  });

  app.post(
    '/subscribe',
    {
      schema: { body: subscribeBody },
      config: { rateLimit: { max: limits.subscribePerIpPerMinute, timeWindow: 60_000 } },
    },
    async (req, reply) => {
      const b = req.body;
      await flows.subscribe({
        email: b.email,
        listId: b.list,
        topics: b.topics,
        consent: consentOf(req, 'form'),
        ...(b.name !== undefined ? { name: b.name } : {}),
      });
      const list = flows.list(b.list);
      const message = 'If the address can receive this list, a confirmation email is on its way.';
      if (wantsJson(req)) return reply.code(202).send({ status: 'pending', message });
      return reply.type(HTML).send(pages.render('subscribed', { title: 'Check your inbox', ...listView(list) }));
    },
  );

  app.get('/confirm/:token', { schema: { params: tokenParams } }, async (req, reply) => {
    const { list, readerId, state } = await flows.confirm(req.params.token, consentOf(req, 'confirm-link'));
    reply.header('cache-control', 'no-store');
    return reply.type(HTML).send(
      pages.render('confirmed', {
        title: 'Subscription confirmed',
        ...listView(list),
        already: state === 'already',
        // The reader is on the page now: let them choose topics without waiting for an email.
        preferencesToken: s.tokens.issue(readerId, list.id, 'preferences', LINK_TTL_SECONDS),
      }),
    );
  });

  const preferencesPage = async (token: string, csrf: string, saved: boolean) => {
    const { list, claims, lists } = await flows.preferences(token);
    return pages.render('preferences', {
      title: 'Your preferences',
      ...listView(list),
      token,
      csrf,
      saved,
      lists: lists.map(({ list: l, subscription }) => {
        const followed = subscription.topics.length ? subscription.topics : l.topics;
        return {
          id: l.id,
          name: l.name,
          status: subscription.status,
          statusText: STATUS_TEXT[subscription.status],
          subscribed: subscription.status === 'confirmed' || subscription.status === 'pending',
          topics: l.topics.map((slug) => ({
            slug,
            name: s.publication.topics.find((t) => t.slug === slug)?.name ?? slug,
            checked: followed.includes(slug),
          })),
          unsubscribeToken: s.tokens.issue(claims.r, l.id, 'unsubscribe', LINK_TTL_SECONDS),
        };
      }),
    });
  };

  app.get('/preferences/:token', { schema: { params: tokenParams } }, async (req, reply) => {
    const testCopy = flows.testCopyList(req.params.token, 'preferences');
    if (testCopy)
      return reply
        .header('cache-control', 'no-store')
        .type(HTML)
        .send(pages.render('test-copy', { title: 'Test copy', ...listView(testCopy) }));
    await flows.preferences(req.params.token); // an invalid link fails before a cookie is set
    const html = await preferencesPage(req.params.token, reply.generateCsrf(), false);
    return reply.header('cache-control', 'no-store').type(HTML).send(html);
  });

  app.post(
    '/preferences/:token',
    { schema: { params: tokenParams, body: preferencesBody }, preHandler: app.csrfProtection },
    async (req, reply) => {
      const { list } = await flows.preferences(req.params.token);
      await flows.savePreferences(
        req.params.token,
        preferenceChanges(req.body, list.id),
        consentOf(req, 'preferences'),
      );
      const html = await preferencesPage(req.params.token, reply.generateCsrf(), true);
      return reply.header('cache-control', 'no-store').type(HTML).send(html);
    },
  );

  app.get('/unsubscribe/:token', { schema: { params: tokenParams } }, async (req, reply) => {
    const { list, subscription, testCopy } = await flows.unsubscribeTarget(req.params.token);
    const done = !subscription || subscription.status === 'unsubscribed' || subscription.status === 'bounced';
    return reply
      .header('cache-control', 'no-store')
      .type(HTML)
      .send(
        pages.render('unsubscribe', {
          title: 'Unsubscribe',
          ...listView(list),
          token: req.params.token,
          done: done && !testCopy,
          testCopy,
        }),
      );
  });

  // RFC 8058 one-click: no cookie, no CSRF token (the signed link is the credential), no redirect.
  app.post('/unsubscribe/:token', { schema: { params: tokenParams } }, async (req, reply) => {
    const { list, testCopy } = await flows.unsubscribe(req.params.token, consentOf(req, 'one-click'));
    return reply
      .header('cache-control', 'no-store')
      .type(HTML)
      .send(pages.render('unsubscribed', { title: 'Unsubscribed', ...listView(list), testCopy }));
  });
}
