/**
 * Hostile header payloads, and the checks every received message must pass: only the header
 * fields a clean message of its kind has, no control characters in decoded headers, one RCPT.
 */
import type { SinkMessage } from '../../support/smtp.js';

const BREAKS = [
  '\r\n',
  '\n',
  '\r',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u0000',
  '\u007f',
  '\u001b',
  '\b',
  '\u0007',
  '\t',
  '\f',
  '\v',
  '\u009b',
  '\u001f',
];
const TAILS = [
  'Bcc: victim@attacker.example',
  'To: second@attacker.example',
  'Cc: a@b.example',
  'Content-Type: text/html',
  'X-Injected: yes',
  '\r\nBcc: x@attacker.example',
  ' folded continuation',
];
const TRICKS = [
  '=?utf-8?q?x=0d=0aBcc:_a@b?=',
  '=?utf-8?b?DQpCY2M6IGFAYg==?=',
  '=?iso-8859-1?q?=0A=0DTo:_z@y?= tail',
  '=?utf-8?q?=00NUL?=',
  '"quoted, name" <other@attacker.example>',
  'a@b.example, c@d.example',
  '<evil@attacker.example>',
  'Name\\"\r\nBcc: z@y',
  '\u202eright-to-left override',
  '\ud83d\ude00 emoji \u00e9\u00e8 accents',
];

/** At least `n` hostile values: breaks × tails, encoded-word tricks, 10 KB lines. */
export function hostileValues(n: number): string[] {
  const out: string[] = [];
  for (const b of BREAKS) for (const t of TAILS) out.push(`Reader${b}${t}`);
  for (const t of TRICKS) out.push(t, `Pre ${t} post`);
  out.push('x'.repeat(10_000), `${'y'.repeat(5_000)}\r\nBcc: long@attacker.example${'z'.repeat(5_000)}`);
  out.push(`${'é'.repeat(3_000)}\u2028To: u@v`, '\r\n\r\n<html>body injection</html>', '\r\n.\r\nMAIL FROM:<x@y>');
  let i = 0;
  while (out.length < n) {
    const b = BREAKS[i % BREAKS.length] as string;
    const t = TAILS[(i * 7) % TAILS.length] as string;
    out.push(`${TRICKS[i % TRICKS.length]}${b}${t}${b.repeat(1 + (i % 3))}#${i}`);
    i++;
  }
  return out;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** Header field names of a raw message, in order (lower case); continuation lines folded in. */
export function headerNames(raw: Buffer): { names: string[]; badLines: number } {
  const head = raw.toString('latin1').split('\r\n\r\n')[0] ?? '';
  const names: string[] = [];
  let badLines = 0;
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line)) continue;
    const m = /^([!-9;-~]+):/.exec(line);
    if (m) names.push((m[1] as string).toLowerCase());
    else badLines += 1;
    // Raw header bytes: printable ASCII (or UTF-8 nodemailer leaves in List-* URLs), no controls.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line)) badLines += 1;
  }
  return { names, badLines };
}

export interface HeaderFindings {
  messages: number;
  extraFields: number;
  controlChars: number;
  badRcpt: number;
  examples: string[];
}

/** Check `messages` against the header-name multiset of a clean message of the same kind. */
export function checkMessages(messages: readonly SinkMessage[], expected: readonly string[]): HeaderFindings {
  const f: HeaderFindings = { messages: 0, extraFields: 0, controlChars: 0, badRcpt: 0, examples: [] };
  const want = [...expected].sort().join(',');
  for (const m of messages) {
    f.messages += 1;
    const { names, badLines } = headerNames(m.raw);
    const got = names.filter((n) => n !== 'dkim-signature').sort();
    const extra = got.length - expected.length + badLines;
    if (got.join(',') !== want || badLines > 0) {
      f.extraFields += Math.max(1, extra);
      if (f.examples.length < 5) f.examples.push(`${got.join(',')} (bad lines ${badLines})`);
    }
    const p = m.parsed;
    const decoded = [
      p.subject ?? '',
      ...(p.from?.value ?? []).flatMap((a) => [a.name, a.address ?? '']),
      ...[p.to ?? []].flat().flatMap((t) => t.value.flatMap((a) => [a.name, a.address ?? ''])),
      ...p.headerLines.map((h) => h.line.slice(h.line.indexOf(':') + 1).replace(/\r\n[ \t]/g, ' ')),
      ...Object.values((p.headers.get('list-id') as Record<string, string> | undefined) ?? {}).map(String),
    ];
    for (const v of decoded) {
      if (CONTROL.test(v)) {
        f.controlChars += 1;
        if (f.examples.length < 5) f.examples.push(`control in ${JSON.stringify(v.slice(0, 80))}`);
      }
    }
    if (m.to.length !== 1) f.badRcpt += 1;
  }
  return f;
}
