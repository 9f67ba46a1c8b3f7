/**
 * An SMTP sink for long runs (smtp-server on 127.0.0.1, port 0) that keeps no message: per
 * recipient it counts copies and remembers the first copy's Message-ID, and it records when each
 * message was accepted. Only the header block is read (to find the Message-ID); bodies stream
 * through and are dropped, so memory stays flat over tens of thousands of messages.
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

/** What one recipient received. */
export interface RecipientCount {
  /** Message-ID of the first copy accepted. */
  readonly messageId: string;
  /** Copies accepted (1 = exactly once). */
  copies: number;
  /** Copies after the first whose Message-ID differs from it. */
  otherIds: number;
}

/** Figures of everything accepted since the last `reset()`. */
export interface SinkTally {
  /** Messages accepted (250 at the end of DATA). */
  accepted: number;
  /** Distinct recipients. */
  recipients: number;
  /** Copies beyond the first, over all recipients. */
  duplicates: number;
  /** Duplicate copies whose Message-ID is not the first copy's. */
  duplicatesWithOtherId: number;
  /** Messages that had no Message-ID header. */
  withoutMessageId: number;
}

export interface CountingSink {
  /** `smtp://127.0.0.1:PORT`. */
  readonly url: string;
  /** Per recipient (lower case). */
  readonly recipients: ReadonlyMap<string, RecipientCount>;
  /** When each message was accepted (ms since the epoch), in order. */
  readonly acceptedAt: readonly number[];
  tally(): SinkTally;
  /** Resolves once `count` distinct recipients have received a copy; rejects after `timeoutMs`. */
  waitForRecipients(count: number, timeoutMs: number): Promise<void>;
  /** Forgets every count. */
  reset(): void;
  close(): Promise<void>;
}

/** The header block is never longer than this in Gazette's mail; past it the search stops. */
const HEADER_CAP = 64 * 1024;

/** The Message-ID in a header block (unfolded), or '' when there is none. */
export function messageIdOf(head: string): string {
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:[ \t]*(.+?)[ \t]*$/im.exec(unfolded);
  return match?.[1] ?? '';
}

/** Reads the stream to its end, returning its header block (up to the first empty line). */
async function readHead(stream: SMTPServerDataStream): Promise<string> {
  let head = '';
  let done = false;
  for await (const chunk of stream) {
    if (done) continue;
    head += (chunk as Buffer).toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end >= 0) {
      head = head.slice(0, end);
      done = true;
    } else if (head.length > HEADER_CAP) {
      done = true;
    }
  }
  return head;
}

export async function startCountingSink(): Promise<CountingSink> {
  const recipients = new Map<string, RecipientCount>();
  const acceptedAt: number[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let withoutMessageId = 0;

  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      readHead(stream).then(
        (head) => {
          const messageId = messageIdOf(head);
          if (!messageId) withoutMessageId += 1;
          acceptedAt.push(Date.now());
          for (const rcpt of session.envelope.rcptTo) {
            const address = rcpt.address.toLowerCase();
            const seen = recipients.get(address);
            if (!seen) recipients.set(address, { messageId, copies: 1, otherIds: 0 });
            else {
              seen.copies += 1;
              if (seen.messageId !== messageId) seen.otherIds += 1;
            }
          }
          events.emit('accepted');
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  // Connections of killed workers end abruptly: that is the point of the runs, not a failure.
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    recipients,
    acceptedAt,
    tally() {
      let duplicates = 0;
      let duplicatesWithOtherId = 0;
      for (const r of recipients.values()) {
        duplicates += r.copies - 1;
        duplicatesWithOtherId += r.otherIds;
      }
      return {
        accepted: acceptedAt.length,
        recipients: recipients.size,
        duplicates,
        duplicatesWithOtherId,
        withoutMessageId,
      };
    },
    waitForRecipients(count, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (recipients.size < count) return;
          clearTimeout(timer);
          events.off('accepted', check);
          resolve();
        };
        const timer = setTimeout(() => {
          events.off('accepted', check);
          reject(new Error(`sink: ${recipients.size} of ${count} recipients after ${timeoutMs} ms`));
        }, timeoutMs);
        events.on('accepted', check);
        check();
      });
    },
    reset() {
      recipients.clear();
      acceptedAt.length = 0;
      withoutMessageId = 0;
    },
    async close() {
      for (const connection of server.connections) connection._socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
