/**
 * A sending process for the ceiling and naive rows: `pool-child.ts <ceiling|naive> <count> <port> <message.json>`.
 * ceiling: nodemailer's pool sends one pre-built raw message `count` times.
 * naive: Gazette's mailer composing every message with sendMail (a new To and Message-ID each).
 * Both keep as many sends in flight as a Gazette worker does; IPC: `{ready}`, then `{go}` → `{done}`.
 */
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { createMailer, type OutgoingMessage, POOL_DEFAULTS, toMailOptions } from '../src/delivery/mailer.js';

const [mode, countArg, port, messageFile, connectionsArg] = process.argv.slice(2);
const maxConnections = Number(connectionsArg) || POOL_DEFAULTS.maxConnections;
const count = Number(countArg);
/** A Gazette worker: WORKER_CONCURRENCY (4) batches × 5 sends each. */
const IN_FLIGHT = 20;
const message = JSON.parse(await readFile(messageFile ?? '', 'utf8')) as OutgoingMessage;
const url = `smtp://127.0.0.1:${port}?ignoreTLS=true`;

let sendOne: (i: number) => Promise<unknown>;
let close: () => void | Promise<void>;
if (mode === 'ceiling') {
  const raw = await new MailComposer(toMailOptions(message)).compile().build();
  const transport = nodemailer.createTransport({
    ...POOL_DEFAULTS,
    maxConnections,
    pool: true,
    host: '127.0.0.1',
    port: Number(port),
    ignoreTLS: true,
  });
  const envelope = { from: 'bench@news.example', to: ['sample@bench.example'] };
  sendOne = () => transport.sendMail({ raw, envelope });
  close = () => transport.close();
} else {
  const mailer = await createMailer({ kind: 'smtp', url }, undefined, { compose: 'sendMail', maxConnections });
  sendOne = (i) =>
    mailer.send({
      ...message,
      to: { name: `Reader ${i}`, address: `reader${i}@bench.example` },
      messageId: `<naive.${process.pid}.${i}@news.example>`,
    });
  close = () => mailer.close();
}

process.send?.({ ready: true });
// `on`, not `once`: the listener keeps the IPC channel, and so this process, alive until SIGTERM.
let started = false;
process.on('message', async () => {
  if (started) return;
  started = true;
  try {
    let next = 0;
    const lane = async () => {
      while (next < count) await sendOne(next++);
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    process.send?.({ done: true });
  } catch (err) {
    process.send?.({ error: (err as Error).message });
  }
  await close();
});
process.on('SIGTERM', () => process.exit(0));
