import type { FanOut } from '../src/delivery/dispatcher.js';
import type { Producer } from '../src/queue/producer.js';
import { addBatches } from './add-batches.js';
import { finishEdition } from './finish-edition.js';
import { sendBatch } from './send-batch.js';

/**
 * Fan-out with a BullMQ flow: `finish-edition` parents an `add-batches` job, which adds one
 * `send-batch` per batch of the run under the same parent, in chunks.
 */
export function flowFanOut(producer: () => Producer): FanOut {
  return {
    async start(editionId, run) {
      await producer().addFlow({ def: finishEdition, payload: { editionId, run } }, [
        { def: addBatches, payload: { editionId, run } },
      ]);
    },
    async addBatches(editionId, batches, run) {
      await producer().addChildren(
        { def: finishEdition, payload: { editionId, run } },
        batches.map((batch) => ({ def: sendBatch, payload: { editionId, batch, run } })),
      );
    },
  };
}
