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
 *   pct_start of the steps, then down to baseLr / (div · finalDiv). The learning rate only:
 *   PyTorch's default also cycles SGD's momentum (cycle_momentum); here the momentum stays as set.
 */
export type Schedule =
	| { kind: 'constant' }
	| { kind: 'step'; milestones: number[]; gamma: number }
	| { kind: 'cosine' }
	| { kind: 'onecycle'; pctStart?: number; divFactor?: number; finalDivFactor?: number };

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
			const pct = schedule.pctStart ?? 0.3;
			const initial = baseLr / (schedule.divFactor ?? 25);
			const min = initial / (schedule.finalDivFactor ?? 1e4);
			const phases = [
				{ end: pct * totalSteps - 1, from: initial, to: baseLr },
				{ end: totalSteps - 1, from: baseLr, to: min }
			];
			let start = 0;
			for (let i = 0; i < phases.length; i++) {
				const p = phases[i];
				if (step <= p.end || i === phases.length - 1) {
					const t = (step - start) / (p.end - start);
					return p.to + ((p.from - p.to) / 2) * (Math.cos(Math.PI * t) + 1);
				}
				start = p.end;
			}
			return min; // unreachable: the last phase always answers
		}
	}
}
