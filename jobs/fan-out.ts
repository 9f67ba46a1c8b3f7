import type { FanOut } from '../src/delivery/dispatcher.js';
import type { Producer } from '../src/queue/producer.js';
import { finishEdition } from './finish-edition.js';
import { sendBatch } from './send-batch.js';

/** Fan-out with a BullMQ flow: `finish-edition` parents one `send-batch` per batch of the run. */
export function flowFanOut(producer: () => Producer): FanOut {
  return {
    async addBatches(editionId, batches, run = 0) {
      await producer().addFlow(
        { def: finishEdition, payload: { editionId, run } },
        batches.map((batch) => ({ def: sendBatch, payload: { editionId, batch, run } })),
      );
    },
  };
}
