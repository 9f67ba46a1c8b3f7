import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { RATE } from './config.js';
import { budgetKB, DEFAULT_BUDGET_KB, listDigestSettings } from './digest-settings.js';
import { scheduleProblem } from './editions/schedule.js';
import { formatIssues } from './zod-issues.js';

/**
 * The publication file (`GAZETTE_CONFIG`): topics, lists and sources, validated with zod.
 * Relative paths inside it are resolved against the file's own directory.
 */

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes (max 63), e.g. "north-korea"');

export const topicSchema = z.object({
  slug,
  name: z.string().min(1),
  /** Category/tag names or slugs that map to this topic (case-insensitive). */
  terms: z.array(z.string().min(1)).default([]),
  /** Words or phrases matched on word boundaries, case-insensitive, in title and lead. */
  keywords: z.array(z.string().min(1)).default([]),
});

const headerSafe = z
  .string()
  .min(1)
  .refine((s) => !/[\r\n]/.test(s), 'must not contain line breaks');

export const listSchema = z.object({
  id: slug,
  name: headerSafe,
  description: z.string().default(''),
  /** Sender identity; defaults to MAIL_FROM. */
  from: z.object({ name: headerSafe, address: z.email() }).optional(),
  replyTo: z.email().optional(),
  /** Postal address shown in every email's footer (CAN-SPAM). */
  postalAddress: z.string().min(1),
  schedule: z.object({
    /** Cron expression (5 or 6 fields), evaluated in `tz`. */
    cron: z.string().min(1),
    /** IANA time zone, e.g. "Asia/Seoul". */
    tz: z.string().min(1),
  }),
  /** Topic slugs this list offers; readers choose among them. */
  topics: z.array(slug).min(1),
  /**
   * Beginning of the first edition's window (ISO-8601); default: one schedule period before it.
   * A first edition with `since` carries every briefing published after it, however old.
   */
  since: z.iso.datetime({ offset: true }).optional(),
  /**
   * An edition leaves out briefings published more than this many hours before its cut-off (a
   * late-collected briefing still goes out; a back-catalogue import does not). @defaultValue two schedule periods
   */
  maxAgeHours: z
    .number()
    .positive()
    .max(24 * 366)
    .optional(),
  /**
   * What a reader whose followed topics have nothing new gets: no email (`skip`), or the whole
   * edition (`whole-edition`). @defaultValue skip
   */
  whenNothingFollowed: z.enum(['skip', 'whole-edition']).default('skip'),
  /**
   * This list's own send rate across all workers (`N/s`, `N/min`, `N/h`), within MAIL_RATE;
   * unset: only MAIL_RATE applies.
   */
  rate: RATE.optional(),
  /** Readers per send-batch job. */
  batchSize: z.number().int().min(1).max(5000).default(100),
  /** Template name under templates/ (`<name>.mjml.hbs`). */
  template: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .default('digest'),
  ...listDigestSettings,
});

const remote = {
  id: slug,
  /** Site or feed URL (http or https). */
  url: z.url({ protocol: /^https?$/ }),
  /** Seconds between scheduled collections; omit for manual only. */
  everySeconds: z.number().int().positive().optional(),
  /** Allow a target on loopback or a private network (an intranet source). @defaultValue false */
  allowPrivate: z.boolean().default(false),
  /** Cap on one request, body included. @defaultValue 15 */
  timeoutSeconds: z.number().positive().max(300).default(15),
  /**
   * Hosts besides the source's own that a briefing's link may point to (`www.example.com`, or
   * `*.example.com` for its subdomains). A link elsewhere, or not http(s), is dropped: the card
   * has no "Read more" and the quarantine lists the briefing as a warning. @defaultValue []
   */
  linkHosts: z
    .array(
      z
        .string()
        .regex(/^(\*\.)?[a-z0-9.-]+$/i, 'a host name, or *.domain for its subdomains')
        .transform((h) => h.toLowerCase()),
    )
    .max(100)
    .default([]),
  /** Cap on one response body. @defaultValue 5 MB */
  maxBytes: z
    .number()
    .int()
    .positive()
    .max(100 * 1024 * 1024)
    .default(5 * 1024 * 1024),
};

export const sourceSchema = z.discriminatedUnion('type', [
  z.object({
    id: slug,
    type: z.literal('files'),
    /** A file or directory of WordPress post JSON (one object, an array, or one per file). */
    path: z.string().min(1),
    /** Seconds between scheduled collections; omit for manual only. */
    everySeconds: z.number().int().positive().optional(),
  }),
  z.object({
    ...remote,
    type: z.literal('wordpress'),
    /** How to reach the REST API: `/wp-json/…`, `?rest_route=…`, or try the first then the second. */
    restRoute: z.enum(['auto', 'pretty', 'query']).default('auto'),
    /**
     * Each run also reads the posts published in this many hours before it (`orderby=date`), so
     * scheduled posts, which WordPress publishes without a new `modified_gmt`, are caught. @defaultValue 48
     */
    lookbackHours: z
      .number()
      .positive()
      .max(24 * 366)
      .default(48),
  }),
  z.object({ ...remote, type: z.literal('feed') }),
]);

export const publicationSchema = z
  .object({
    name: z.string().min(1),
    topics: z.array(topicSchema).min(1),
    /** Topic slug for briefings that match no topic. */
    fallbackTopic: slug,
    lists: z.array(listSchema).min(1),
    sources: z.array(sourceSchema).default([]),
    /** Default HTML size budget of every list's digest, in KB. @defaultValue 90 */
    sizeBudgetKB: budgetKB.default(DEFAULT_BUDGET_KB),
  })
  .superRefine((p, ctx) => {
    const topicSlugs = new Set(p.topics.map((t) => t.slug));
    if (!topicSlugs.has(p.fallbackTopic)) {
      ctx.addIssue({ code: 'custom', path: ['fallbackTopic'], message: `unknown topic "${p.fallbackTopic}"` });
    }
    p.lists.forEach((list, i) => {
      for (const t of list.topics) {
        if (!topicSlugs.has(t))
          ctx.addIssue({ code: 'custom', path: ['lists', i, 'topics'], message: `unknown topic "${t}"` });
      }
    });
    for (const [key, items] of [
      ['topics', p.topics.map((t) => t.slug)],
      ['lists', p.lists.map((l) => l.id)],
      ['sources', p.sources.map((s) => s.id)],
    ] as const) {
      const seen = new Set<string>();
      for (const id of items) {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [key], message: `duplicate id "${id}"` });
        seen.add(id);
      }
    }
  });

export type Topic = z.infer<typeof topicSchema>;
export type List = z.infer<typeof listSchema>;
export type Source = z.infer<typeof sourceSchema>;
export type Publication = z.infer<typeof publicationSchema>;

export class PublicationError extends Error {
  readonly code = 'PUBLICATION_INVALID';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid publication file\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Parse and validate a publication object; relative source paths resolve against `baseDir`. */
export function parsePublication(raw: unknown, file: string, baseDir: string): Publication {
  const result = publicationSchema.safeParse(raw);
  if (!result.success) throw new PublicationError(file, formatIssues(result.error));
  const scheduleProblems = result.data.lists.flatMap((list) => {
    const problem = scheduleProblem(list.schedule);
    return problem ? [`lists.${list.id}.schedule: ${problem}`] : [];
  });
  if (scheduleProblems.length) throw new PublicationError(file, scheduleProblems);
  const sources = result.data.sources.map((s) =>
    s.type === 'files' ? { ...s, path: path.resolve(baseDir, s.path) } : s,
  );
  return Object.freeze({ ...result.data, sources });
}

/** Read and validate the publication file at `file`. */
export async function loadPublication(file: string): Promise<Publication> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PublicationError(file, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PublicationError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
  return parsePublication(raw, file, path.dirname(path.resolve(file)));
}

export function findList(publication: Publication, listId: string): List | undefined {
  return publication.lists.find((l) => l.id === listId);
}
