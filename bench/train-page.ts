/**
 * Loaded into a page by bench/train.ts (through the dev server): times training steps of a
 * network on a tfjs backend started as the app starts it (src/lib/runtime/backend.ts).
 */
import { buildGraph, type ArchSpec } from '$lib/arch/index';
import { startBackend, type BackendName } from '$lib/runtime/backend';
import { registerTrainingKernels } from '$lib/runtime/kernels/index';
import { Trainer } from '$lib/runtime/train';
import { initWeights } from '$lib/weights/index';

export async function timeSteps(
	spec: ArchSpec,
	backend: BackendName,
	batch: number,
	warmup: number,
	runs: number
) {
	const { tf, info } = await startBackend(backend);
	registerTrainingKernels(tf);
	const graph = buildGraph(spec);
	const trainer = Trainer.create(tf, graph, initWeights(graph, 1), {
		optimizer: { kind: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 5e-4 },
		schedule: { kind: 'constant' },
		totalSteps: warmup + runs,
		freeze: 'none'
	});
	const { channels: c, height: h, width: w } = spec.input;
	const images = Float32Array.from({ length: batch * c * h * w }, (_, i) => Math.sin(i * 0.731));
	const labels = Int32Array.from({ length: batch }, (_, i) => i % spec.head.classes);
	const times: number[] = [];
	for (let i = 0; i < warmup + runs; i++) {
		const t0 = performance.now();
		await trainer.step(images, labels);
		if (i >= warmup) times.push(performance.now() - t0);
	}
	trainer.dispose();
	return { backend: info.name, detail: info.detail, times };
}
