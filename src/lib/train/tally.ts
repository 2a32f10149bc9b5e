/** Loss and accuracy bookkeeping over the batches of an epoch (or an evaluation). Pure. */
export interface Tally {
	samples: number;
	lossSum: number;
	correct: number;
}

export const emptyTally = (): Tally => ({ samples: 0, lossSum: 0, correct: 0 });

/** Adds one batch: its mean loss over `samples` samples and how many it got right. */
export function addBatch(t: Tally, batch: { loss: number; correct: number }, samples: number): Tally {
	return {
		samples: t.samples + samples,
		lossSum: t.lossSum + batch.loss * samples,
		correct: t.correct + batch.correct
	};
}

/** Mean loss and accuracy (0–1) of what was added; NaN for an empty tally. */
export function summarise(t: Tally): { loss: number; accuracy: number } {
	return { loss: t.lossSum / t.samples, accuracy: t.correct / t.samples };
}
