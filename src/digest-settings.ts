import { z } from 'zod';

/**
 * The publication file's digest settings: how a list's emails look and read (locale, logo,
 * accent colour, subject pattern, size budget). Kept apart from `publication.ts` so the schema
 * of what a list *is* stays short; `listSchema` spreads {@link listDigestSettings}.
 */

/** Tokens a subject pattern may use. */
export const SUBJECT_TOKENS = ['list', 'date', 'headline', 'count', 'more'] as const;

/** `Korea Daily · 21 Aug 2024: Yoon meets Xi (+2 more)`. */
export const DEFAULT_SUBJECT = '{list} · {date}: {headline}{more}';

/** Gmail clips a message past 102 KB; the default leaves room for the reader's own links. */
export const DEFAULT_BUDGET_KB = 90;

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

/** WCAG contrast ratio of a `#rrggbb` colour against white. */
export function contrastOnWhite(hex: string): number {
  return 1.05 / (luminance(hex) + 0.05);
}

const accentColor = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour written #rrggbb, e.g. "#0b5cad"')
  .superRefine((c, ctx) => {
    const ratio = contrastOnWhite(c);
    if (/^#[0-9a-fA-F]{6}$/.test(c) && ratio < 4.5) {
      ctx.addIssue({
        code: 'custom',
        message: `is too light: white text on it has contrast ${ratio.toFixed(1)}:1, at least 4.5:1 is needed`,
      });
    }
  });

const logo = z.object({
  /** An https image URL (emails cannot carry relative or http images safely). */
  url: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
  /** Text shown when images are off; also read out by screen readers. */
  alt: z.string().min(1, 'must say what the logo shows (shown when images are off)'),
  /** Displayed width in pixels. @defaultValue 160 */
  width: z.number().int().min(16).max(552).default(160),
});

const locale = z
  .string()
  .min(1)
  .refine((tag) => {
    try {
      return Intl.DateTimeFormat.supportedLocalesOf([tag]).length > 0;
    } catch {
      return false;
    }
  }, 'must be a BCP 47 language tag this Node.js knows, e.g. "en", "en-GB", "ko"');

const subject = z
  .string()
  .min(1)
  .refine((s) => !/[\r\n]/.test(s), 'must not contain line breaks')
  .superRefine((s, ctx) => {
    for (const [, token] of s.matchAll(/\{([^{}]*)\}/g)) {
      if (!(SUBJECT_TOKENS as readonly string[]).includes(token ?? '')) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown token "{${token}}" (known: ${SUBJECT_TOKENS.map((t) => `{${t}}`).join(', ')})`,
        });
      }
    }
  });

/** The size budget of one digest's HTML, in kilobytes (1000 bytes), under Gmail's 102 KB clip. */
export const budgetKB = z.number().min(30).max(100);

/** Spread into `listSchema`. */
export const listDigestSettings = {
  /** Language of dates (Intl.DateTimeFormat) and of the HTML. @defaultValue en */
  locale: locale.default('en'),
  /** Shown above the list name. */
  logo: logo.optional(),
  /** Headings, links and buttons; must keep white text readable. @defaultValue #0b5cad */
  accentColor: accentColor.default('#0b5cad'),
  /** Subject pattern; tokens {list}, {date}, {headline}, {count}, {more}. @defaultValue DEFAULT_SUBJECT */
  subject: subject.default(DEFAULT_SUBJECT),
  /** HTML size budget in KB; default: the publication's `sizeBudgetKB`. */
  sizeBudgetKB: budgetKB.optional(),
};

export type Logo = z.infer<typeof logo>;
