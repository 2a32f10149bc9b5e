/**
 * Where a forward pass's time goes: each graph node's time on the active backend, the median over
 * several runs, next to the median of plain forward passes measured in the same loop.
 *
 * How it is measured: the compiled network runs node by node (`CompiledNet.stepwise`, the same
 * kernels as the plain forward) and the clock is read after each node, at a sync point:
 * - cpu and wasm run every kernel to completion inside the op's call (the wasm backend's XNNPACK
 *   thread pool joins before the call returns), so the moment the node's ops return is its sync
 *   point: nothing is read back (a read-back there only adds its own cost, ≈ 0.3 ms a node on
 *   resnet50, which would make the nodes' sum overshoot a plain forward's).
 * - webgl and webgpu only queue work: after each node one value of its output is read back
 *   (`await data()` of a 1-element slice), which waits for every kernel queued so far. Each such
 *   read-back is a round trip to the GPU (`syncMs`, the cost of one with nothing queued, is
 *   reported) that a plain forward pays once: there the sum runs over, and `forwardMs` shows by
 *   how much.
 * A node's time is the wall time from the previous node's sync point to its own: its kernels and
 * the JS around them, including the freeing of the tensors the previous node was the last to read
 * (after a block's add, its ReLU carries the freeing of the add's two inputs). (tfjs's kernel timers, `tf.profile`, are not used: on wasm they leave out
 * the JS between kernels, and webgpu's timestamp queries are an optional device feature.)
 *
 * A node folded into another at compile time (a BN folded into its convolution, the ReLU fused
 * after it) runs inside that node's kernel: its time is counted in the node that runs it, it shows
 * 0 ms and `foldedInto` names that node. So the nodes' times sum to the stepwise forward's time.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { CompiledNet } from './compile';

type Tf = typeof TfCore;

export interface Profile {
	/** The tfjs backend measured. */
	backend: string;
	/** How many measured runs (after one warm-up run that is not counted). */
	runs: number;
	/** Median over the runs of each node's time, ms, for every graph node but the input; 0 for a folded node. */
	nodes: Record<string, number>;
	/** A node computed inside another's kernel → the node whose time includes it. */
	foldedInto: Record<string, string>;
	/** The sum of the nodes' medians, ms. */
	totalMs: number;
	/** The median of plain forward passes (`await data()` of the logits), measured in the same loop, ms. */
	forwardMs: number;
	/**
	 * The median wall time of a whole node-by-node forward, ms. The sum of per-node medians
	 * (`totalMs`) is below it when the machine is loaded: a stall (another process's time slice)
	 * lands on a different node each run, and each node's median leaves it out.
	 */
	stepwiseMs: number;
	/** The median cost of one read-back with nothing queued, ms (paid once per node on webgl/webgpu; 0 on cpu and wasm, which need none). */
	syncMs: number;
}

export interface ProfileOptions {
	/** Measured runs (default 5), after one warm-up. */
	runs?: number;
	/** Told after each run (the warm-up is run 0); each run then starts `SETTLE_MS` later. */
	onProgress?: (done: number, total: number) => void;
	/** Asked between runs; true stops the profile (the result is then null). */
	shouldStop?: () => Promise<boolean>;
}

const median = (xs: readonly number[]): number => {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A pause before each run when progress is reported, ms: time for the page to draw it. */
const SETTLE_MS = 100;

/** Backends whose kernels finish inside the op's call: the clock after a node is its sync point. */
const SYNCHRONOUS = new Set(['cpu', 'wasm']);

/** Waits for every queued kernel by reading one value of `t` back. */
async function sync(tf: Tf, t: TfCore.Tensor): Promise<void> {
	const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), 0, 1));
	try {
		await one.data();
	} finally {
		one.dispose();
	}
}

/**
 * Profiles `net` on `input` (NHWC, normalised; the caller keeps it): one warm-up run, then `runs`
 * runs of one plain forward and one stepwise forward each, interleaved so that both see the same
 * machine load. Null when `shouldStop` stopped it.
 */
export async function profileNet(
	tf: Tf,
	net: CompiledNet,
	input: TfCore.Tensor4D,
	options: ProfileOptions = {}
): Promise<Profile | null> {
	const runs = Math.max(1, Math.floor(options.runs ?? 5));
	const ids = net.graph.nodes.filter((n) => n.op !== 'input').map((n) => n.id);
	const times = new Map<string, number[]>(ids.map((id) => [id, []]));
	const foldedInto: Record<string, string> = {};
	const forwards: number[] = [];
	const stepwise: number[] = [];
	const syncs: number[] = [];
	const wait = SYNCHRONOUS.has(tf.getBackend()) ? null : (t: TfCore.Tensor) => sync(tf, t);

	for (let r = 0; r <= runs; r++) {
		if (options.shouldStop && (await options.shouldStop())) return null;
		// The page draws the progress just reported; its frame would otherwise run on the cores
		// beside the timed forward (on 2 cores it added 15-25 ms to resnet18's first forward).
		if (options.onProgress) await new Promise((done) => setTimeout(done, SETTLE_MS));
		const counted = r > 0;
		// A plain forward, timed as Session.forward times it.
		const t0 = performance.now();
		const out = net.forward(input);
		await out.logits.data();
		const plain = performance.now() - t0;
		out.logits.dispose();
		// The cost of a read-back with nothing queued.
		const s0 = performance.now();
		if (wait) await wait(input);
		const syncMs = wait ? performance.now() - s0 : 0;
		// Node by node.
		const ran = new Map<string, number>();
		let t = performance.now();
		const w0 = t;
		const logits = await net.stepwise(input, async (step) => {
			if (wait) await wait(step.output);
			const now = performance.now();
			ran.set(step.node, now - t);
			for (const id of step.gave) if (id !== step.node) foldedInto[id] = step.node;
			t = now;
		});
		const whole = performance.now() - w0;
		logits.dispose();
		if (counted) {
			forwards.push(plain);
			stepwise.push(whole);
			syncs.push(syncMs);
			for (const id of ids) times.get(id)!.push(ran.get(id) ?? 0);
		}
		options.onProgress?.(r, runs);
	}
	const nodes: Record<string, number> = {};
	for (const id of ids) nodes[id] = median(times.get(id)!);
	const totalMs = ids.reduce((s, id) => s + nodes[id], 0);
	return {
		backend: tf.getBackend(),
		runs,
		nodes,
		foldedInto,
		totalMs,
		forwardMs: median(forwards),
		stepwiseMs: median(stepwise),
		syncMs: median(syncs)
	};
}

/** How far the nodes' total is from a plain forward, as a fraction of the forward (0.2 = 20 %). */
export function profileGap(p: Pick<Profile, 'totalMs' | 'forwardMs'>): number {
	return Math.abs(p.totalMs - p.forwardMs) / p.forwardMs;
}
