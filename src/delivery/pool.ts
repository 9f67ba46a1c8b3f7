import { Readable } from 'node:stream';

/** nodemailer's SMTP pool as a transport: `send(mail, callback)`, what `sendMail` ends in. */
export interface PoolTransport {
  send(mail: object, callback: (err: Error | null, info: { response?: string }) => void): void;
}

/**
 * A finished message straight to nodemailer's SMTP pool, which queues it, picks a connection,
 * and sends it (`MAIL FROM`, `RCPT TO`, `DATA`, its own dot-stuffing and errors, as for any
 * message). `sendMail({ raw, envelope })` would first run the message through nodemailer's
 * composer, which for raw bytes only wraps them again: a MimeNode, random bytes for a boundary
 * and a Message-ID it does not use, and a stream pipeline per message. The mail object has what
 * the pool reads: the envelope, the Message-ID (for its log and its queue entry) and a fresh
 * stream each time it is asked (a message requeued on another connection is read again).
 */
export function handToPool(
  pool: PoolTransport,
  raw: Buffer,
  envelope: { from: string; to: string[] },
  messageId: string,
): Promise<{ response?: string }> {
  const bare = messageId.replace(/[<>\s]/g, '');
  const mail = {
    data: {},
    message: {
      getEnvelope: () => ({ from: envelope.from, to: [...envelope.to] }),
      messageId: () => messageId,
      getHeader: (key: string) => (key.toLowerCase() === 'message-id' ? `<${bare}>` : undefined),
      createReadStream: () => Readable.from([raw], { objectMode: false }),
    },
  };
  return new Promise((resolve, reject) => pool.send(mail, (err, info) => (err ? reject(err) : resolve(info))));
}
