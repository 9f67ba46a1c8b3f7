import { CronExpressionParser } from 'cron-parser';

/** A list's schedule: a cron expression evaluated in an IANA time zone (DST handled by cron-parser). */
export interface Schedule {
  cron: string;
  tz: string;
}

/** The most recent scheduled slot at or before `at`. */
export function latestSlot(schedule: Schedule, at: Date): Date {
  const it = CronExpressionParser.parse(schedule.cron, { currentDate: new Date(at.getTime() + 1), tz: schedule.tz });
  return it.prev().toDate();
}

/** The first scheduled slot strictly after `at`. */
export function nextSlot(schedule: Schedule, at: Date): Date {
  const it = CronExpressionParser.parse(schedule.cron, { currentDate: at, tz: schedule.tz });
  return it.next().toDate();
}

/** The slot strictly before `slot`. */
export function slotBefore(schedule: Schedule, slot: Date): Date {
  const it = CronExpressionParser.parse(schedule.cron, { currentDate: slot, tz: schedule.tz });
  return it.prev().toDate();
}

/** A readable reason when the expression or zone is invalid, else null. */
export function scheduleProblem(schedule: Schedule): string | null {
  try {
    new Intl.DateTimeFormat('en', { timeZone: schedule.tz });
  } catch {
    return `unknown time zone "${schedule.tz}"`;
  }
  try {
    CronExpressionParser.parse(schedule.cron, { tz: schedule.tz }).next();
    return null;
  } catch (err) {
    return `invalid cron expression "${schedule.cron}": ${(err as Error).message}`;
  }
}
