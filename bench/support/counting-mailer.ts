/**
 * A transport that builds every message as the SMTP mailer's fast path does (template once per
 * topic set, filled per reader) and counts it instead of sending it: render cost without a wire.
 */
import { composeTemplate, fillTemplate, type MessageTemplate } from '../../src/delivery/fast-mime.js';
import { type Mailer, type OutgoingMessage, toMailOptions } from '../../src/delivery/mailer.js';
import type { Personalizer } from '../../src/render/personalize.js';

export interface CountingMailer extends Mailer {
  readonly count: number;
  readonly bytes: number;
}

export function countingMailer(): CountingMailer {
  const templates = new Map<Personalizer, Map<boolean, Promise<MessageTemplate>>>();
  const state = { count: 0, bytes: 0 };
  return {
    destination: 'counting transport',
    get count() {
      return state.count;
    },
    get bytes() {
      return state.bytes;
    },
    async send(m: OutgoingMessage) {
      state.count += 1;
      state.bytes += m.html.length + m.text.length;
      return { messageId: m.messageId, response: 'counted' };
    },
    async sendDigest(m) {
      const named = Boolean(m.reader.name);
      const digest = m.digest.template(named);
      if (!digest || !m.unsubscribe) throw new Error('bench digest cannot take the fast path');
      let byName = templates.get(m.digest);
      if (!byName) {
        byName = new Map();
        templates.set(m.digest, byName);
      }
      let template = byName.get(named);
      if (!template) {
        const { digest: d, reader, ...rest } = m;
        const base = { ...rest, ...d(reader) };
        template = composeTemplate((marks) => toMailOptions({ ...base, ...marks }), digest, m.from);
        byName.set(named, template);
      }
      const filled = fillTemplate(
        await template,
        { from: m.from, to: m.to, messageId: m.messageId, unsubscribe: m.unsubscribe },
        m.digest.fill(m.reader),
      );
      state.count += 1;
      state.bytes += filled.raw.length;
      return { messageId: m.messageId, response: 'counted' };
    },
    async close() {},
  };
}
