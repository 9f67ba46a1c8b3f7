import type { SendMailOptions } from 'nodemailer';
import type { Personalizer } from '../render/personalize.js';
import { composeTemplate, FastMimeError, type MessageTemplate } from './fast-mime.js';
import type { DigestMessage, OutgoingMessage } from './mailer.js';

/**
 * The fast path's templates, per topic set's digest (held weakly: they go with the digest) and
 * per named/unnamed reader and sender headers. A template nodemailer's output cannot be cut into
 * is remembered as null: those readers go through sendMail.
 */
export class FastTemplates {
  private readonly byDigest = new WeakMap<Personalizer, Map<string, Promise<MessageTemplate | null>>>();

  /**
   * @param whole - a digest message as a whole message (the mailer's `slowMessage`)
   * @param options - the sendMail options of a whole message (the mailer's `toMailOptions`)
   */
  constructor(
    private readonly whole: (m: DigestMessage) => OutgoingMessage,
    private readonly options: (m: OutgoingMessage) => SendMailOptions,
  ) {}

  of(m: DigestMessage): Promise<MessageTemplate | null> {
    const named = Boolean(m.reader.name);
    const digest = m.digest.template(named);
    if (!digest) return Promise.resolve(null);
    let forDigest = this.byDigest.get(m.digest);
    if (!forDigest) {
      forDigest = new Map();
      this.byDigest.set(m.digest, forDigest);
    }
    const key = JSON.stringify([named, m.from, m.replyTo, m.list, m.kind]);
    let template = forDigest.get(key);
    if (!template) {
      const base = this.whole({ ...m, reader: { ...m.reader, name: named ? 'x' : '' } });
      template = composeTemplate((marks) => this.options({ ...base, ...marks }), digest, m.from).catch((err) => {
        if (err instanceof FastMimeError) return null;
        throw err;
      });
      forDigest.set(key, template);
    }
    return template;
  }
}
