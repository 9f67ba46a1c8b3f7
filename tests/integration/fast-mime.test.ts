/**
 * The mailer's fast path (a topic set's message composed once, filled per reader) against what
 * nodemailer's sendMail builds for the same reader: both go through a real SMTP sink and must
 * parse to the same headers and the same decoded html and text. DKIM must verify on fast-path
 * messages.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dkimVerify } from 'mailauth';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DkimAlgorithm } from '../../src/config.js';
import { createMailer, type DigestMessage, type Mailer } from '../../src/delivery/mailer.js';
import { type RenderedDigest, renderTopicSet } from '../../src/render/digest.js';
import { compilePersonalizer, type Personalizer } from '../../src/render/personalize.js';
import { loadTemplates } from '../../src/render/templates.js';
import { ARCHIVE_URL, digestPublication, sampleEdition, theList } from '../support/digest.js';
import { type SinkMessage, type SmtpSink, startSmtpSink } from '../support/smtp.js';

const TOPIC_SETS = [['china'], ['trade', 'china'], ['north-korea', 'diplomacy', 'trade', 'china'], ['diplomacy']];

/** Names that stress encoding: non-ASCII, `=`, quotes, long words, and every length up to 90. */
function nameOf(i: number): string {
  const kinds = [
    () => '',
    () => `Jïn-woo Ĳssel ${i}`,
    () => `a=b ==c= ${i}=`,
    () => `"Quoted" O'Brien, Jr. <${i}>`,
    () => `${'W'.repeat(60 + (i % 40))}`,
    () => '김민준 李明 Ωmega',
    () => `${'x'.repeat(i % 90)} é`,
    () => `Ada & <b>Lovelace</b> {{reader.name}} ${i}`,
    // Word-character names, written as they are: around the 76-octet fold of the To line.
    () => `Reader ${i}`,
    () => `${'R'.repeat(40 + (i % 25))} ${i}`,
  ];
  return (kinds[i % kinds.length] as () => string)();
}

/** Links of different lengths, with `=`, non-ASCII and percent-escapes, so values cross line ends. */
function linksOf(i: number) {
  const token = `${'t'.repeat(i % 77)}=${i}`;
  return {
    preferencesUrl: `https://news.example/preferences/${token}?a=1&b==2`,
    unsubscribeUrl: `https://news.example/unsubscribe/${token}/ü${'-'.repeat(i % 13)}`,
    mailto: `mailto:unsubscribe@news.example?subject=${encodeURIComponent(`unsubscribe ${token}`)}`,
  };
}

function messageFor(i: number, digest: Personalizer, topics: string[]): DigestMessage {
  const name = nameOf(i);
  const links = linksOf(i);
  // Mostly plain addresses; some nodemailer rewrites (an upper-case domain, punycode, a long label).
  const email =
    i % 13 === 5
      ? `Reader${i}@Example.COM`
      : i % 13 === 7
        ? `reader${i}@xn--bcher-kva.example`
        : i % 13 === 9
          ? `r.${i}+news@${'l'.repeat(63)}.example.com`
          : `reader${i}@example.com`;
  return {
    from: i % 2 ? { name: 'Korea Pro Daily', address: 'daily@koreapro.example' } : 'Gazette <gazette@koreapro.example>',
    to: name ? { name, address: email } : email,
    ...(i % 3 === 0 ? { replyTo: 'desk@koreapro.example' } : {}),
    messageId: `<korea-daily-20241130T220000Z.r${i}@koreapro.example>`,
    list: { id: 'korea-daily.koreapro.example', name: i % 5 ? 'Korea Pro Daily' : 'Korea Pro — Daily "Édition"' },
    unsubscribe: { https: links.unsubscribeUrl, mailto: links.mailto },
    outboxName: `e/r${i}`,
    digest,
    reader: {
      name,
      preferencesUrl: links.preferencesUrl,
      unsubscribeUrl: links.unsubscribeUrl,
      followed: i % 4 ? topics : [],
    },
  };
}

/** Headers as a reader's mail client sees them (mailparser), without those that vary per send. */
function headersOf(m: ParsedMail): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of m.headers) {
    if (key === 'date' || key === 'dkim-signature') continue;
    if (key === 'content-type') {
      const v = value as { value: string; params: Record<string, string> };
      out[key] = { value: v.value, charset: v.params.charset };
      continue;
    }
    out[key] = value;
  }
  return out;
}

function byMessageId(messages: readonly SinkMessage[]): Map<string, SinkMessage> {
  return new Map(messages.map((m) => [m.parsed.messageId ?? '', m]));
}

describe('the fast path builds what sendMail builds', () => {
  let sink: SmtpSink;
  let dir: string;
  const digests: Array<{ topics: string[]; personalizer: Personalizer; rendered: RenderedDigest }> = [];

  beforeAll(async () => {
    sink = await startSmtpSink();
    dir = await mkdtemp(path.join(tmpdir(), 'gazette-fast-mime-'));
    const publication = digestPublication();
    const list = theList(publication);
    const templates = await loadTemplates();
    for (const topics of TOPIC_SETS) {
      const rendered = await renderTopicSet({
        publication,
        list,
        edition: sampleEdition([3, 2, 4, 1]),
        topics,
        archiveUrl: ARCHIVE_URL,
        templates,
      });
      digests.push({ topics, personalizer: compilePersonalizer(rendered), rendered });
    }
  }, 60_000);

  afterAll(async () => {
    await sink?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function sendAll(mailer: Mailer, messages: DigestMessage[], slow: boolean): Promise<void> {
    try {
      await Promise.all(
        messages.map((m) => (slow ? mailer.send({ ...m, ...m.digest(m.reader) }) : mailer.sendDigest(m))),
      );
    } finally {
      await mailer.close();
    }
  }

  it('for 320 readers over 4 topic sets: same headers, same decoded html and text, lines within limits', async () => {
    sink.reset();
    const url = { kind: 'smtp' as const, url: `${sink.url}?ignoreTLS=true` };
    const count = 320;
    const messages = Array.from({ length: count }, (_, i) => {
      const d = digests[i % digests.length];
      if (!d) throw new Error('no digest');
      return messageFor(i, d.personalizer, d.topics);
    });
    await sendAll(await createMailer(url, undefined, { compose: 'fast' }), messages, false);
    const fast = byMessageId(await sink.waitFor(count, { timeoutMs: 60_000 }));
    sink.reset();
    await sendAll(await createMailer(url, undefined, { compose: 'sendMail' }), messages, true);
    const slow = byMessageId(await sink.waitFor(count, { timeoutMs: 60_000 }));

    expect(fast.size).toBe(count);
    for (const m of messages) {
      const f = fast.get(m.messageId);
      const s = slow.get(m.messageId);
      if (!f || !s) throw new Error(`missing ${m.messageId}`);
      expect(f.to).toEqual(s.to);
      expect(f.from).toBe(s.from);
      expect(headersOf(f.parsed)).toEqual(headersOf(s.parsed));
      // To and Message-ID byte for byte, folding included.
      for (const field of [/^To: .*(?:\r\n[ \t].*)*/m, /^Message-ID: .*(?:\r\n[ \t].*)*/m])
        expect(field.exec(f.raw.toString('utf8'))?.[0]).toBe(field.exec(s.raw.toString('utf8'))?.[0]);
      expect(f.parsed.html).toBe(s.parsed.html);
      expect(f.parsed.text).toBe(s.parsed.text);
      // The reader's values really are in the message (not both sides empty).
      expect(f.parsed.text).toContain(m.reader.unsubscribeUrl);
      if (m.reader.name) expect(f.parsed.text).toContain(m.reader.name);

      const raw = f.raw.toString('latin1');
      const split = raw.indexOf('\r\n\r\n');
      expect(raw.split('\r\n').every((l) => l.length <= 998)).toBe(true);
      // The body is quoted-printable: ASCII only, every line within 76 octets.
      const body = raw.slice(split + 4);
      expect(body.split('\r\n').filter((l) => l.length > 76)).toEqual([]);
      expect(/^[\t\r\n\x20-\x7e]*$/.test(body)).toBe(true);
    }
  }, 180_000);

  it('a message the pool sends again on a new connection (421 at MAIL FROM on a reused one) arrives once, whole', async () => {
    sink.reset();
    const d = digests[1];
    if (!d) throw new Error('no digest');
    const [first, second] = [messageFor(1, d.personalizer, d.topics), messageFor(2, d.personalizer, d.topics)];
    const mailer = await createMailer({ kind: 'smtp', url: `${sink.url}?ignoreTLS=true` }, undefined, {
      compose: 'fast',
      maxConnections: 1,
    });
    try {
      await mailer.sendDigest(first);
      // The next MAIL FROM, on the connection that sent `first`, is refused as the server
      // closing: nodemailer's pool puts the message back and sends it over a new connection.
      sink.refuseNextMail(1, { code: 421, message: '4.4.2 Connection idle too long, closing' });
      await mailer.sendDigest(second);
    } finally {
      await mailer.close();
    }
    const got = await sink.waitFor(2);
    expect(got.map((m) => m.parsed.messageId)).toEqual([first.messageId, second.messageId]);
    const whole = second.digest(second.reader);
    expect(got[1]?.parsed.text).toBe(whole.text);
    expect(got[1]?.parsed.html).toBe(whole.html);
  });

  it.each(['rsa-sha256', 'ed25519-sha256', 'rsa-sha256,ed25519-sha256'])(
    'DKIM_ALGORITHM=%s: fast-path and sendMail messages carry one signature per key, each verifies',
    async (name) => {
      const algorithms = name.split(',') as DkimAlgorithm[];
      sink.reset();
      const records = new Map<string, string>();
      const keys = await Promise.all(
        algorithms.map(async (algorithm) => {
          const kind = algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
          const pair =
            kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
          const privateKeyFile = path.join(dir, `dkim-${algorithms.join('+')}-${kind}.pem`);
          await writeFile(privateKeyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
          const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
          // RFC 8463 §4.2: an Ed25519 record holds the bare 32-byte key, an RSA one the SPKI.
          const p = (kind === 'rsa' ? spki : spki.subarray(spki.length - 32)).toString('base64');
          const keySelector = `gz-${kind}`;
          records.set(`${keySelector}._domainkey.koreapro.example`, `v=DKIM1; k=${kind}; p=${p}`);
          return { algorithm, keySelector, privateKeyFile };
        }),
      );
      const setting = { domainName: 'koreapro.example', keys };
      const mailer = await createMailer({ kind: 'smtp', url: `${sink.url}?ignoreTLS=true` }, setting, {
        compose: 'fast',
      });
      const messages = Array.from({ length: 24 }, (_, i) => {
        const d = digests[i % digests.length];
        if (!d) throw new Error('no digest');
        return messageFor(i, d.personalizer, d.topics);
      });
      await sendAll(mailer, messages, false);
      const received = [...(await sink.waitFor(messages.length))];
      // The sendMail path (nodemailer's own signer for one RSA key, else ours after composing) signs too.
      sink.reset();
      const slowMailer = await createMailer({ kind: 'smtp', url: `${sink.url}?ignoreTLS=true` }, setting, {
        compose: 'sendMail',
      });
      await sendAll(slowMailer, messages.slice(0, 4), true);
      received.push(...(await sink.waitFor(4)));
      expect(received).toHaveLength(messages.length + 4);
      const resolver = async (name: string) => {
        const record = records.get(name);
        if (record) return [[record]];
        throw Object.assign(new Error(`no TXT for ${name}`), { code: 'ENOTFOUND' });
      };
      for (const m of received) {
        const verified = await dkimVerify(m.raw, { resolver });
        expect(verified.results).toHaveLength(algorithms.length);
        const seen: string[] = [];
        for (const r of verified.results) {
          const result = r as typeof r & { signingHeaders?: { keys: string }; algo?: string };
          expect(result.status.result, result.status.comment).toBe('pass');
          if (result.algo) seen.push(result.algo);
          const signed = result.signingHeaders?.keys.toLowerCase().split(': ') ?? [];
          expect(signed).toEqual(
            expect.arrayContaining(['list-unsubscribe-post', 'list-unsubscribe', 'to', 'message-id']),
          );
        }
        expect(seen.sort()).toEqual([...algorithms].sort());
      }
    },
    120_000,
  );

  it('a digest that itself holds the marks the cut relies on still goes out whole, through sendMail', async () => {
    sink.reset();
    const d = digests[0];
    if (!d) throw new Error('no digest');
    const tainted = compilePersonalizer({ ...d.rendered, text: `${d.rendered.text}\n\uE002 stray mark` });
    expect(tainted.template(true)).toBeNull();
    const mailer = await createMailer({ kind: 'smtp', url: `${sink.url}?ignoreTLS=true` });
    await sendAll(mailer, [messageFor(1, tainted, d.topics)], false);
    const [m] = await sink.waitFor(1);
    expect(m?.parsed.text).toContain('\uE002 stray mark');
  });
});
