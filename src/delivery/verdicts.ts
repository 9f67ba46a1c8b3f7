/**
 * What an SMTP answer means for a reader and for the edition, judged by the stage it came at
 * and its enhanced status code (RFC 3463), never by its first digit alone. Pure.
 */

/** Where in the SMTP session the answer came. */
export type SmtpStage = 'greeting' | 'auth' | 'mail' | 'rcpt' | 'data' | 'none';

export type Verdict =
  /** The mailbox is bad (5.1.x, 5.2.1, or a bare 5xx at RCPT): bounced, address suppressed. */
  | 'hard-bounce'
  /** A refusal of this reader only (policy 5.7.x at RCPT, mailbox full): failed, not suppressed. */
  | 'reader-rejected'
  /** The sender, the session or the content was refused: every reader would fail alike. Pause the edition. */
  | 'edition-blocked'
  /** A 4xx: try this reader again later. */
  | 'transient'
  /** No answer at all (connection lost, timeout): the server, not the reader. Retry the batch. */
  | 'no-answer';

export interface SmtpAnswer {
  stage: SmtpStage;
  /** Basic reply code (e.g. 550), when the server answered. */
  code?: number;
  /** Enhanced status code (e.g. `5.1.1`), when the server gave one. */
  enhanced?: string;
}

/** nodemailer's `command` of a failed step → the stage. */
export function stageOf(command: string | undefined): SmtpStage {
  if (!command) return 'none';
  const c = command.toUpperCase();
  if (c === 'CONN' || c === 'EHLO' || c === 'HELO' || c === 'LHLO' || c === 'STARTTLS') return 'greeting';
  if (c.startsWith('AUTH')) return 'auth';
  if (c === 'MAIL FROM') return 'mail';
  if (c === 'RCPT TO') return 'rcpt';
  if (c === 'DATA') return 'data';
  return 'none';
}

/** The enhanced status code in a server reply such as `550 5.1.1 <x@y>: no such user`. */
export function enhancedCode(response: string | undefined): string | undefined {
  return /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(response ?? '')?.[1];
}

/** Codes that say the client must authenticate or is not allowed to send: the sender's problem wherever they come. */
const SENDER_CODES = new Set([530, 534, 535, 538]);

export function verdict(a: SmtpAnswer): Verdict {
  if (a.code === undefined) return 'no-answer';
  if (a.code >= 400 && a.code < 500) return 'transient';
  if (a.code < 500 || a.code >= 600) return 'no-answer';
  if (SENDER_CODES.has(a.code)) return 'edition-blocked';
  if (a.stage !== 'rcpt') return 'edition-blocked';
  const e = a.enhanced;
  if (!e) return 'hard-bounce';
  if (e.startsWith('4.')) return 'transient';
  if (e.startsWith('5.1.') || e === '5.2.1') return 'hard-bounce';
  return 'reader-rejected';
}
