import { FlowProducer, type Job, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from '../store/redis.js';
import { type JobDefinition, QUEUES, type QueueName } from './define.js';

export interface FlowChild<D extends JobDefinition = JobDefinition> {
  def: D;
  payload: Parameters<D['jobId']>[0];
}

/**
 * Adds jobs. Every add uses the definition's deterministic id, so adding the same work twice
 * (a retried handler, a second `send`, a redeploy) leaves one job.
 */
export class Producer {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly flows: FlowProducer;

  /** @param overrides - job options by job name that replace the definition's (set from config). */
  constructor(
    connection: Redis,
    prefix: string,
    private readonly overrides: Record<string, JobsOptions> = {},
  ) {
    for (const name of QUEUES) {
      const queue = new Queue(name, { connection, prefix });
      queue.on('error', () => {}); // connection errors surface on the shared client's own listener
      this.queues.set(name, queue);
    }
    this.flows = new FlowProducer({ connection, prefix });
    this.flows.on('error', () => {});
  }

  queue(name: QueueName): Queue {
    return this.queues.get(name) as Queue;
  }

  async add<D extends JobDefinition>(def: D, payload: Parameters<D['jobId']>[0]): Promise<Job> {
    const data = def.payload.parse(payload);
    return this.queue(def.queue).add(def.name, data, { ...this.options(def), jobId: def.jobId(data) });
  }

  /** A parent job that runs after all its children have completed (BullMQ flow). */
  async addFlow<P extends JobDefinition>(parent: FlowChild<P>, children: FlowChild[]): Promise<void> {
    const existing = await this.queue(parent.def.queue).getJob(parent.def.jobId(parent.payload));
    if (existing) return;
    await this.flows.add({
      name: parent.def.name,
      queueName: parent.def.queue,
      data: parent.def.payload.parse(parent.payload),
      opts: { ...this.options(parent.def), jobId: parent.def.jobId(parent.payload) },
      children: children.map((c) => ({
        name: c.def.name,
        queueName: c.def.queue,
        data: c.def.payload.parse(c.payload),
        opts: { ...this.options(c.def), jobId: c.def.jobId(c.payload) },
      })),
    });
  }

  /**
   * Add children to an existing parent job (one that a flow created and that still waits for
   * a child), `chunk` jobs per Redis call. Re-adding a child that exists changes nothing.
   */
  async addChildren<P extends JobDefinition>(parent: FlowChild<P>, children: FlowChild[], chunk = 500): Promise<void> {
    const parentRef = { id: parent.def.jobId(parent.payload), queue: this.queue(parent.def.queue).qualifiedName };
    for (let i = 0; i < children.length; i += chunk) {
      const byQueue = new Map<QueueName, Parameters<Queue['addBulk']>[0]>();
      for (const c of children.slice(i, i + chunk)) {
        const data = c.def.payload.parse(c.payload);
        const jobs = byQueue.get(c.def.queue) ?? [];
        jobs.push({
          name: c.def.name,
          data,
          opts: { ...this.options(c.def), jobId: c.def.jobId(data), parent: parentRef },
        });
        byQueue.set(c.def.queue, jobs);
      }
      for (const [queue, jobs] of byQueue) await this.queue(queue).addBulk(jobs);
    }
  }

  private options(def: JobDefinition): JobsOptions {
    return { ...def.options, ...this.overrides[def.name] };
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.flows.close();
  }
}
