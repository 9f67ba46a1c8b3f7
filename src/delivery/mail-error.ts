import { enhancedCode, type SmtpStage, stageOf, type Verdict, verdict } from './verdicts.js';

/** A failed send, with its {@link Verdict}: who is at fault, and whether a retry can help. */
export class MailError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly verdict: Verdict,
    readonly stage: SmtpStage,
    readonly responseCode?: number,
    readonly enhancedCode?: string,
  ) {
    super(message);
  }

  /** A bounded label for metrics: the enhanced status code, else the reply code, else the error code. */
  get reason(): string {
    return this.enhancedCode ?? (this.responseCode ? String(this.responseCode) : this.code);
  }

  /** Short, address-free detail for the ledger and logs: `550 5.1.1 rcpt`. */
  get detail(): string {
    return [this.responseCode, this.enhancedCode, this.stage === 'none' ? this.code : this.stage]
      .filter(Boolean)
      .join(' ');
  }
}

/** A nodemailer error as a {@link MailError}, judged by its SMTP stage and enhanced code. */
export function classify(err: unknown): MailError {
  const e = err as { code?: string; responseCode?: number; command?: string; response?: string };
  const code = e.code ?? 'EUNKNOWN';
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const stage = stageOf(e.command);
  const enhanced = enhancedCode(e.response);
  // An address nodemailer itself refuses (no server involved) is this reader's fault alone.
  const v: Verdict =
    code === 'EENVELOPE' && e.command === 'API'
      ? 'reader-rejected'
      : code === 'EAUTH' && responseCode === undefined
        ? 'edition-blocked'
        : verdict({
            stage,
            ...(responseCode !== undefined ? { code: responseCode } : {}),
            ...(enhanced ? { enhanced } : {}),
          });
  // The server's own text often quotes the recipient's address: keep it out of messages, which end up in logs and job data.
  const what = `SMTP ${e.command ?? 'send'} failed: ${responseCode ?? ''} ${enhanced ?? ''} ${code}`
    .replace(/\s+/g, ' ')
    .trim();
  return new MailError(what, code, v, stage, responseCode, enhanced);
}
