import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';

export const QUEUES = ['collect', 'editions', 'delivery'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface JobContext {
  services: Services;
  log: Logger;
  /**
   * BullMQ job id, attempts made before this one, and when the job was due: for a scheduled
   * job, its slot (its creation time plus its delay), not the worker's clock.
   */
  job: {
    id: string;
    attempt: number;
    /** Attempts allowed in all (the job's `attempts` option). */
    attempts: number;
    dueAt: Date;
    /**
     * Run the job again after `ms` without using up an attempt (shutdown, a busy reader):
     * throws BullMQ's DelayedError, so call it last.
     */
    retryLater(ms: number): Promise<never>;
  };
}

/**
 * A job is a contract: name, queue, a zod payload of ids (never rendered HTML or reader lists),
 * options, a deterministic id, and a thin handler that calls a service.
 */
export interface JobDefinition<Name extends string = string, P extends z.ZodType = z.ZodType> {
  name: Name;
  queue: QueueName;
  payload: P;
  options: JobsOptions;
  /** Deterministic job id: the same work gets the same id, so adding it twice runs it once. */
  jobId: (payload: z.infer<P>) => string;
  handle: (payload: z.infer<P>, ctx: JobContext) => Promise<unknown>;
}

export function defineJob<Name extends string, P extends z.ZodType>(
  def: JobDefinition<Name, P>,
): JobDefinition<Name, P> {
  return def;
}

/**
 * Build a BullMQ job id from parts. BullMQ refuses ids containing `:` and ids of digits only;
 * parts are joined with `-` and any other character outside `[A-Za-z0-9_.-]` becomes `_`.
 */
export function jobId(kind: string, ...parts: Array<string | number>): string {
  return [kind, ...parts].map((p) => String(p).replace(/[^A-Za-z0-9_.-]/g, '_')).join('-');
}

/** Kept long enough to see what happened; re-adding after removal is safe (handlers are idempotent). */
export const KEEP = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

/** Send batches are many: completed ones are trimmed sooner (the ledger is the record). */
export const KEEP_FEW = {
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;
