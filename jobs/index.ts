import type { JobDefinition } from '../src/queue/define.js';
import { addBatches } from './add-batches.js';
import { collect } from './collect.js';
import { dispatchEdition } from './dispatch-edition.js';
import { finishEdition } from './finish-edition.js';
import { planEdition } from './plan-edition.js';
import { sendBatch } from './send-batch.js';

/** Every job name Gazette knows. Adding a name here without a handler below fails to compile. */
export type JobName = 'add-batches' | 'collect' | 'plan-edition' | 'dispatch-edition' | 'send-batch' | 'finish-edition';

/** The job catalogue, keyed by name; checked exhaustive by the compiler. */
export const jobs: { [N in JobName]: JobDefinition<N> } = {
  'add-batches': addBatches,
  collect,
  'plan-edition': planEdition,
  'dispatch-edition': dispatchEdition,
  'send-batch': sendBatch,
  'finish-edition': finishEdition,
};

export { addBatches, collect, dispatchEdition, finishEdition, planEdition, sendBatch };
