/**
 * Learning-rate schedules as PyTorch's `torch.optim.lr_scheduler` computes them, stepped once per
 * optimiser step (the lr of step t, 0-based, is what the scheduler gives after t `.step()` calls).
 * Pure: no tfjs.
 *
 * - constant: `baseLr` throughout.
 * - step: MultiStepLR — `baseLr · gamma^k`, k = how many milestones (step indices) are ≤ t.
 * - cosine: CosineAnnealingLR with T_max = totalSteps, eta_min = 0: `baseLr · (1 + cos(π t / T)) / 2`.
 * - onecycle: OneCycleLR(max_lr = baseLr, total_steps, pct_start, anneal 'cos', div_factor,
 *   final_div_factor, three_phase = false): from baseLr / div up to baseLr over the first
 *   pct_start of the steps, then down to baseLr / (div · finalDiv). As PyTorch's default
 *   (cycle_momentum), the momentum — SGD's momentum, Adam's β1 — goes the other way over the same
 *   phases, from maxMomentum (0.95) down to baseMomentum (0.85) and back, replacing the one set;
 *   `cycleMomentum: false` leaves it as set.
 */
export type Schedule =
	| { kind: 'constant' }
	| { kind: 'step'; milestones: number[]; gamma: number }
	| { kind: 'cosine' }
	| {
			kind: 'onecycle';
			pctStart?: number;
			divFactor?: number;
			finalDivFactor?: number;
			cycleMomentum?: boolean;
			baseMomentum?: number;
			maxMomentum?: number;
	  };

export const SCHEDULE_KINDS = ['constant', 'step', 'cosine', 'onecycle'] as const;

/** The learning rate of step `step` (0-based) of `totalSteps`. */
export function lrAt(schedule: Schedule, baseLr: number, step: number, totalSteps: number): number {
	switch (schedule.kind) {
		case 'constant':
			return baseLr;
		case 'step': {
			const passed = schedule.milestones.filter((m) => m <= step).length;
			return baseLr * schedule.gamma ** passed;
		}
		case 'cosine':
			return (baseLr * (1 + Math.cos((Math.PI * step) / Math.max(1, totalSteps)))) / 2;
		case 'onecycle': {
			const initial = baseLr / (schedule.divFactor ?? 25);
			const min = initial / (schedule.finalDivFactor ?? 1e4);
			const { phase, t } = oneCyclePhase(schedule, step, totalSteps);
			return phase === 0 ? cosineAnneal(initial, baseLr, t) : cosineAnneal(baseLr, min, t);
		}
	}
}

/**
 * The momentum of step `step` where the schedule sets it (one-cycle with cycleMomentum, PyTorch's
 * default: SGD's momentum or Adam's β1), else null: the optimiser's own stays.
 */
export function momentumAt(schedule: Schedule, step: number, totalSteps: number): number | null {
	if (schedule.kind !== 'onecycle' || schedule.cycleMomentum === false) return null;
	const low = schedule.baseMomentum ?? 0.85;
	const high = schedule.maxMomentum ?? 0.95;
	const { phase, t } = oneCyclePhase(schedule, step, totalSteps);
	return phase === 0 ? cosineAnneal(high, low, t) : cosineAnneal(low, high, t);
}

/** PyTorch's `_annealing_cos`: from `from` at t = 0 to `to` at t = 1. */
function cosineAnneal(from: number, to: number, t: number): number {
	return to + ((from - to) / 2) * (Math.cos(Math.PI * t) + 1);
}

/**
 * Which of one-cycle's two phases step `step` is in, and how far through it (0–1), as OneCycleLR
 * computes it: phase 0 ends at step pct_start·total − 1, phase 1 at total − 1.
 */
function oneCyclePhase(
	schedule: Extract<Schedule, { kind: 'onecycle' }>,
	step: number,
	totalSteps: number
): { phase: 0 | 1; t: number } {
	const end0 = (schedule.pctStart ?? 0.3) * totalSteps - 1;
	if (step <= end0) return { phase: 0, t: step / end0 };
	return { phase: 1, t: (step - end0) / (totalSteps - 1 - end0) };
}
