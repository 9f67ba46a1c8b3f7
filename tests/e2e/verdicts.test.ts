/**
 * SMTP verdicts at the edition level: for each real answer at its real stage, the sink answers
 * it during an edition of three readers, and the test checks who is bounced, suppressed,
 * failed or left to retry, and whether the edition paused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import type { Container } from '../../src/container.js';
import { seedSample, startGazette } from '../support/gazette.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const READERS = ['ada@example.com', 'linus@example.com', 'min-ji@example.com'];
/** The reader whose RCPT TO is refused in the `rcpt` rows. */
const VICTIM = 'linus@example.com';

type Stage = 'greeting' | 'auth' | 'mail' | 'rcpt' | 'data' | 'reset' | 'timeout';
/**
 * What the edition does: `bounced` (VICTIM bounced and suppressed, the rest sent), `rejected`
 * (VICTIM failed, not suppressed, the rest sent), `retry` (VICTIM or everyone left pending
 * after the attempts, nobody failed; the edition incomplete), `paused` (nobody marked; the
 * edition paused with the reason).
 */
type Effect = 'bounced' | 'rejected' | 'retry' | 'paused';

const TABLE: Array<{ stage: Stage; code: number; text: string; effect: Effect }> = [
  { stage: 'greeting', code: 421, text: '4.3.2 Service not available', effect: 'retry' },
  { stage: 'greeting', code: 554, text: '5.7.1 No SMTP service here', effect: 'paused' },
  { stage: 'greeting', code: 521, text: '5.3.2 Host does not accept mail', effect: 'paused' },
  { stage: 'auth', code: 535, text: '5.7.8 Authentication credentials invalid', effect: 'paused' },
  { stage: 'auth', code: 454, text: '4.7.0 Temporary authentication failure', effect: 'retry' },
  { stage: 'mail', code: 553, text: '5.1.8 Sender address rejected', effect: 'paused' },
  { stage: 'mail', code: 530, text: '5.7.0 Authentication required', effect: 'paused' },
  { stage: 'mail', code: 552, text: '5.3.4 Message size exceeds fixed limit', effect: 'paused' },
  { stage: 'mail', code: 554, text: '5.7.1 Sender blocked', effect: 'paused' },
  { stage: 'mail', code: 452, text: '4.3.1 Insufficient system storage', effect: 'retry' },
  { stage: 'rcpt', code: 550, text: '5.1.1 No such user', effect: 'bounced' },
  { stage: 'rcpt', code: 550, text: 'No such user', effect: 'bounced' },
  { stage: 'rcpt', code: 551, text: 'User not local', effect: 'bounced' },
  { stage: 'rcpt', code: 553, text: '5.1.3 Bad destination mailbox address syntax', effect: 'bounced' },
  { stage: 'rcpt', code: 550, text: '5.2.1 Mailbox disabled', effect: 'bounced' },
  { stage: 'rcpt', code: 550, text: '5.7.1 Blocked by policy (listed at a blocklist)', effect: 'rejected' },
  { stage: 'rcpt', code: 552, text: '5.2.2 Mailbox full', effect: 'rejected' },
  { stage: 'rcpt', code: 554, text: '5.7.1 Relay access denied', effect: 'rejected' },
  { stage: 'rcpt', code: 530, text: '5.7.0 Authentication required', effect: 'paused' },
  { stage: 'rcpt', code: 450, text: '4.2.1 Mailbox busy, try later', effect: 'retry' },
  { stage: 'rcpt', code: 451, text: '4.7.1 Greylisted, try again later', effect: 'retry' },
  { stage: 'rcpt', code: 452, text: '4.5.3 Too many recipients', effect: 'retry' },
  { stage: 'data', code: 554, text: '5.7.1 Message rejected as spam', effect: 'paused' },
  { stage: 'data', code: 552, text: '5.3.4 Message too big', effect: 'paused' },
  { stage: 'data', code: 550, text: '5.7.1 Content rejected', effect: 'paused' },
  { stage: 'data', code: 451, text: '4.3.0 Local error in processing', effect: 'retry' },
  { stage: 'data', code: 421, text: '4.7.0 Too many messages, slow down', effect: 'retry' },
  // No answer at all: the connection reset in DATA, or the server silent past the socket timeout.
  { stage: 'reset', code: 0, text: 'connection reset in DATA', effect: 'retry' },
  { stage: 'timeout', code: 0, text: 'no answer within socketTimeout', effect: 'retry' },
];

describe('SMTP answers during an edition', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink?.close();
  });

  it.each(TABLE)(
    '$code at $stage ($text): $effect',
    async ({ stage, code, text, effect }) => {
      sink.reset();
      const redis = testRedis(`verdict-${stage}-${code}`);
      const auth = stage === 'auth' ? 'sender:wrong-password@' : '';
      const query = stage === 'timeout' ? 'ignoreTLS=true&socketTimeout=400' : 'ignoreTLS=true';
      let gazette: Container | undefined;
      try {
        gazette = await startGazette(redis, sink, {
          MAIL_TRANSPORT: `${sink.url.replace('//', `//${auth}`)}?${query}`,
          SEND_ATTEMPTS: '2',
          SEND_BACKOFF_MS: '20',
        });
        const ids = await seedSample(gazette);
        const s = gazette.services;
        const reply = { code, message: text };
        if (stage === 'rcpt') sink.rejectRecipient(VICTIM, code, text);
        else if (stage === 'data') sink.failNext(1_000, reply);
        else if (stage === 'reset') sink.dropNext(1_000);
        else if (stage === 'timeout') sink.delay(1_500);
        else sink.refuseAt(stage, reply);
        gazette.startWorkers();

        const run = await runEdition(s, 'korea-daily', new Date('2026-11-24T01:00:00Z'));
        if (run.status === 'skipped') throw new Error(run.reason);
        const r = run.result;
        const sent = sink.messages.flatMap((m) => m.to).sort();
        const victimStatus = (await s.readers.subscription('korea-daily', ids.get(VICTIM) ?? ''))?.status;
        const suppressed = (await Promise.all(READERS.map((a) => s.suppression.get(a)))).filter(Boolean).length;

        if (effect === 'bounced' || effect === 'rejected') {
          expect(run.status).toBe('dispatched');
          expect(sent).toEqual(READERS.filter((a) => a !== VICTIM));
          expect(r).toMatchObject({
            dispatched: 2,
            bounced: effect === 'bounced' ? 1 : 0,
            failed: effect === 'rejected' ? 1 : 0,
            pending: 0,
          });
          expect(suppressed).toBe(effect === 'bounced' ? 1 : 0);
          expect(victimStatus).toBe(effect === 'bounced' ? 'bounced' : 'confirmed');
        } else {
          // Nobody is marked for an answer that is not about them.
          expect(r).toMatchObject({ bounced: 0, failed: 0 });
          expect(suppressed).toBe(0);
          expect(victimStatus).toBe('confirmed');
          if (effect === 'paused') {
            expect(run.status).toBe('paused');
            expect(r.pausedReason).toContain(String(code));
            // At RCPT, readers before the refusal may have been sent; the refused one never is.
            if (stage === 'rcpt') expect(sent).not.toContain(VICTIM);
            else expect(sent).toEqual([]);
            expect(r.dispatched).toBe(sent.length);
            expect(r.pending).toBe(READERS.length - sent.length);
          } else {
            // Transient: tried again, then left pending for a resume (the edition says incomplete).
            expect(run.status).toBe('incomplete');
            expect(r.pending).toBe(stage === 'rcpt' ? 1 : READERS.length);
            // A message may reach a server that never answers (timeout): it counts as not sent.
            if (stage !== 'timeout') expect(sent).toEqual(stage === 'rcpt' ? READERS.filter((a) => a !== VICTIM) : []);
          }
        }
      } finally {
        await gazette?.close();
        await redis.cleanup();
        sink.reset();
      }
    },
    60_000,
  );
});
