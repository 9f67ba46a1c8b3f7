/**
 * Dates as a reader sees them: in the list's time zone and locale, never the server's.
 * Every date in an email, an archive page or a subject goes through {@link formatDate}.
 */

const FORMATS = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, locale: string): Intl.DateTimeFormat {
  const key = `${locale} ${timeZone}`;
  let format = FORMATS.get(key);
  if (!format) {
    // English: parts of en-US rearranged to `31 Aug 2023` (en-GB now writes "Sept").
    const tag = isEnglish(locale) ? 'en-US' : locale;
    format = new Intl.DateTimeFormat(tag, { day: 'numeric', month: 'short', year: 'numeric', timeZone });
    FORMATS.set(key, format);
  }
  return format;
}

function isEnglish(locale: string): boolean {
  return /^en(?:-|$)/i.test(locale);
}

/**
 * The calendar day of `iso` in `timeZone`, written for `locale`: `31 Aug 2023` in English,
 * `2023년 8월 31일` in Korean (Intl.DateTimeFormat). An unparseable date gives ''.
 * @param timeZone IANA zone, e.g. the list's `schedule.tz`.
 * @param locale BCP 47 tag, the list's `locale`. @defaultValue en
 */
export function formatDate(iso: string, timeZone: string, locale = 'en'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const format = formatter(timeZone, locale);
  if (!isEnglish(locale)) return format.format(date);
  const parts = format.formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('day')} ${part('month')} ${part('year')}`;
}

/** `2023-08-31`: the calendar day of `iso` in `timeZone` (for comparisons, not for readers). */
export function localDay(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(
    new Date(iso),
  );
}
