/**
 * Hostile HTML in post title, content and excerpt (lead, why it matters), stored straight into
 * the briefing store (as a files source or an old briefing could), batched into a few editions.
 * The final email HTML (as the SMTP sink received it) and the archive page are parsed: no
 * script, iframe, object, embed, form, base or meta refresh, no `on*` attribute, no URL
 * attribute outside http, https and mailto.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdition } from '../../src/cli/run-edition.js';
import { startApp, type TestApp } from '../support/http.js';
import { testRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';
import { briefing, inspectHtml, store, subscribe } from './support/kit.js';

const BASE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<svg onload=alert(1)>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<a href="&#x6A;&#x61;vascript:alert(1)">x</a>',
  '<a href="java\tscript:alert(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<iframe src="https://evil.example"></iframe>',
  '<object data="evil.swf"></object>',
  '<embed src="evil.swf">',
  '<form action="https://evil.example"><button formaction="javascript:alert(1)">go</button></form>',
  '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
  '<div style="width: expression(alert(1))">x</div>',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<base href="https://evil.example/">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<mj-include path="/etc/passwd" />',
  '<mj-raw><script>alert(1)</script></mj-raw>',
  '</mj-text><mj-raw><script>alert(1)</script></mj-raw><mj-text>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
  '<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>',
  '"><script>alert(1)</script>',
  "'><img src=x onerror=alert(1)>",
  '{{reader.name}}{{#each this}}x{{/each}}',
  '{{{reader.unsubscribeUrl}}}',
  '<details open ontoggle=alert(1)>',
  '<body onload=alert(1)>',
  '<input autofocus onfocus=alert(1)>',
  '<video><source onerror=alert(1)></video>',
  '<link rel=stylesheet href="javascript:alert(1)">',
  '<style>@import "javascript:alert(1)";</style>',
  '<!--<script>alert(1)//-->',
  '<![CDATA[<script>alert(1)</script>]]>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<a href=" javascript:alert(1)">x</a>',
  '<a href="&Tab;javascript:alert(1)">x</a>',
  '<table background="javascript:alert(1)">',
  '<isindex action="javascript:alert(1)" type=image>',
  '<applet code="evil.class"></applet>',
  '<frameset><frame src="javascript:alert(1)"></frameset>',
  '<img srcset="javascript:alert(1) 1x">',
  '<a href="mailto:x@y?body=<script>">mail</a>',
  '\u003cscript\u003ealert(1)\u003c/script\u003e',
  '<ScRiPt SrC=//evil.example/x.js></ScRiPt>',
];
const WRAP = [
  (p: string) => p,
  (p: string) => `Headline ${p} tail`,
  (p: string) => p.toUpperCase(),
  (p: string) => `<p>${p}</p>`,
  (p: string) => p.replaceAll('<', '&lt;').replaceAll('>', '&gt;'),
  (p: string) => `${p}${p}`,
  (p: string) => p.replaceAll('"', "'"),
  (p: string) => `${p.toLowerCase()} <b>bold</b>`,
  (p: string) => p.replaceAll(' ', '/'),
  (p: string) => `\u00a0${p}\u2028`,
];
const PAYLOADS = WRAP.flatMap((w) => BASE.map(w))
  .concat(BASE.map((p, i) => `${p} #${i}`))
  .slice(0, 540);
const PER_EDITION = 130;

describe('hostile HTML in briefings', () => {
  const redis = testRedis('hostile-html');
  let sink: SmtpSink;
  let t: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startApp(redis, sink);
    t.gazette.startWorkers();
    await subscribe(t.gazette, [
      { email: 'all@example.com', name: '<script>alert(1)</script>', topics: [] },
      { email: 'china@example.com', name: '" onmouseover="alert(1)', topics: ['china'] },
    ]);
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await redis.cleanup();
  });

  it(`${PAYLOADS.length} payloads in titles, leads, why-it-matters and content leave no active HTML`, async () => {
    const totals = { payloads: 0, emails: 0, pages: 0, dangerousElements: 0, eventAttributes: 0, badUrls: 0 };
    const examples: string[] = [];
    const topics = ['china', 'trade', 'diplomacy', 'north-korea'];
    for (let e = 0; e * PER_EDITION < PAYLOADS.length; e++) {
      const day = 20 + e * 2;
      const at = new Date(`2026-11-${day}T00:00:00Z`);
      const batch = PAYLOADS.slice(e * PER_EDITION, (e + 1) * PER_EDITION);
      const briefings = batch.map((p, i) =>
        briefing(e * 1000 + i, [topics[i % 4] as string], {
          title: p,
          lead: PAYLOADS[(e * PER_EDITION + i + 1) % PAYLOADS.length] as string,
          whyItMatters: PAYLOADS[(e * PER_EDITION + i + 2) % PAYLOADS.length] as string,
          html: p,
          publishedAt: at.toISOString(),
          modifiedAt: at.toISOString(),
        }),
      );
      await store(t.gazette, briefings, at);
      totals.payloads += batch.length;
      sink.reset();
      const run = await runEdition(t.gazette.services, 'korea-daily', new Date(`2026-11-${day + 1}T01:00:00Z`));
      expect(run.status).toBe('dispatched');
      if (run.status === 'skipped') throw new Error('skipped');
      const pages = [sink.messages.map((m) => String(m.parsed.html)), []] as [string[], string[]];
      for (const query of ['', '?topics=china']) {
        const page = await t.app.inject({ url: `/archive/korea-daily/${run.editionId}${query}` });
        expect(page.statusCode).toBe(200);
        pages[1].push(page.body);
      }
      expect(pages[0]).toHaveLength(2);
      // The payloads were rendered (as text), not lost: the untrimmed archive page shows them escaped.
      expect(pages[1][0]).toContain('&lt;');
      for (const [kind, list] of [
        ['emails', pages[0]],
        ['pages', pages[1]],
      ] as const) {
        for (const html of list) {
          const f = inspectHtml(html);
          totals[kind] += 1;
          totals.dangerousElements += f.dangerousElements;
          totals.eventAttributes += f.eventAttributes;
          totals.badUrls += f.badUrls;
          examples.push(...f.examples);
        }
      }
    }
    console.log(`html injection: ${JSON.stringify(totals)}`, examples.slice(0, 5));
    expect(totals.payloads).toBeGreaterThanOrEqual(500);
    expect(examples).toEqual([]);
    expect(totals).toMatchObject({ dangerousElements: 0, eventAttributes: 0, badUrls: 0 });
  });
});
