import { describe, expect, it } from 'vitest';
import { dotsNear, familyChart, nearestDot, SIDE_BY_SIDE_MIN, type ChartNet } from '$lib/viz/family-chart';
import { publishedFor } from '$lib/models/published';

// MACs and params at 224² (ImageNet) or 32² (CIFAR), as torchvision and the paper give them:
// torchvision's docs (GFLOPS = GMACs) and He et al. 2015 §4.2 (0.27 M … 19.4 M params).
const NETS: ChartNet[] = [
	{ name: 'resnet18', macs: 1.814e9, params: 11_689_512 },
	{ name: 'resnet50', macs: 4.089e9, params: 25_557_032 },
	{ name: 'resnet152', macs: 11.514e9, params: 60_192_808 },
	{ name: 'wide_resnet101_2', macs: 22.753e9, params: 126_886_696 },
	{ name: 'resnet20', macs: 40.55e6, params: 269_722, small: true },
	{ name: 'resnet110', macs: 252.89e6, params: 1_730_714, small: true },
	{ name: 'fashion-resnet', macs: 30e6, params: 270_000, small: true }
].map(({ small, ...n }) => ({
	...n,
	family: (small ? 'cifar' : 'torchvision') as 'cifar' | 'torchvision',
	domain: small ? 'small' : 'imagenet',
	results: publishedFor(n.name)
}));

const dot = (chart: ReturnType<typeof familyChart>, name: string) =>
	chart.panels.flatMap((p) => [...p.dots, ...p.axisDots]).filter((d) => d.preset === name);

describe('family chart', () => {
	const chart = familyChart(NETS, { width: 1000, current: null });
	const [imagenet, small] = chart.panels;

	it('never mixes ImageNet top-1 and CIFAR-10 error on one axis', () => {
		expect(imagenet.dots.every((d) => d.result?.metric === 'imagenet-top1')).toBe(true);
		expect(small.dots.every((d) => d.result?.metric === 'cifar10-error')).toBe(true);
		expect(small.dots.map((d) => d.preset).sort()).toEqual(['resnet110', 'resnet20']);
	});

	it('x is MACs on a log scale: equal ratios, equal distances', () => {
		const x = (name: string) => dot(chart, name)[0].cx;
		const perDecade = (x('resnet50') - x('resnet18')) / Math.log10(4.089e9 / 1.814e9);
		expect((x('wide_resnet101_2') - x('resnet152')) / Math.log10(22.753e9 / 11.514e9)).toBeCloseTo(
			perDecade,
			6
		);
		expect(x('resnet18')).toBeGreaterThan(imagenet.plot.left);
		expect(x('wide_resnet101_2')).toBeLessThan(imagenet.plot.right);
	});

	it('area is proportional to parameters', () => {
		const r = (name: string) => dot(chart, name)[0].r;
		expect(r('resnet152') ** 2 / r('resnet50') ** 2).toBeCloseTo(60_192_808 / 25_557_032, 6);
	});

	it('higher top-1 is drawn higher; lower CIFAR error is drawn higher (up is better in both)', () => {
		const [v1, v2] = dot(chart, 'resnet50').sort((a, b) => a.result!.value - b.result!.value);
		expect(v1.result!.weights).toBe('ResNet50_Weights.IMAGENET1K_V1');
		expect(v2.cy).toBeLessThan(v1.cy);
		// He et al.: resnet110 6.43 % < resnet20 8.75 %.
		expect(dot(chart, 'resnet110')[0].cy).toBeLessThan(dot(chart, 'resnet20')[0].cy);
	});

	it("one preset's weights are joined by a stem (torchvision V1 and V2)", () => {
		expect(imagenet.stems.map((s) => s.preset).sort()).toEqual(['resnet152', 'resnet50', 'wide_resnet101_2']);
	});

	it('a preset without a published figure sits on the MACs axis', () => {
		const [f] = dot(chart, 'fashion-resnet');
		expect(f.result).toBeUndefined();
		expect(small.axisDots.map((d) => d.preset)).toEqual(['fashion-resnet']);
		expect(f.cy).toBe(small.plot.bottom);
	});

	it('the network on screen is a marker at its MACs, in its own panel, published or not', () => {
		const c = familyChart(NETS, {
			width: 1000,
			current: { name: 'my-net', macs: 4.089e9, domain: 'imagenet' }
		});
		expect(c.panels[1].marker).toBeNull();
		expect(c.panels[0].marker!.label).toBe('my-net');
		expect(c.panels[0].marker!.x).toBeCloseTo(dot(c, 'resnet50')[0].cx, 9);
		// Far outside the presets' range: the axis grows to hold it.
		const big = familyChart(NETS, { width: 1000, current: { name: 'huge', macs: 1e12, domain: 'imagenet' } });
		expect(big.panels[0].marker!.x).toBeLessThan(big.panels[0].plot.right);
	});

	it('stacks the panels on a phone and keeps everything inside the width', () => {
		for (const width of [358, SIDE_BY_SIDE_MIN - 1, SIDE_BY_SIDE_MIN, 1400]) {
			const c = familyChart(NETS, { width, current: null });
			const stacked = width < SIDE_BY_SIDE_MIN;
			expect(c.height).toBe(stacked ? 2 * c.panels[0].height : c.panels[0].height);
			for (const p of c.panels) {
				expect(p.x + p.width).toBeLessThanOrEqual(width);
				for (const d of [...p.dots, ...p.axisDots]) {
					expect(d.cx - d.r).toBeGreaterThanOrEqual(p.x);
					expect(d.cx + d.r).toBeLessThanOrEqual(p.x + p.width);
				}
				// Tick labels (≈ 40 px) never touch.
				const xs = p.xTicks.map((t) => t.pos);
				for (let i = 1; i < xs.length; i++) expect(xs[i] - xs[i - 1]).toBeGreaterThanOrEqual(44);
				expect(xs.length).toBeGreaterThan(0);
			}
		}
	});

	it('the pointer picks the dot whose centre is nearest, even one drawn under another', () => {
		const [v1, v2] = dot(chart, 'resnet50');
		const big = dot(chart, 'wide_resnet101_2')[0];
		expect(nearestDot(chart, v1.cx, v1.cy)).toBe(v1);
		expect(nearestDot(chart, v2.cx + 1, v2.cy - 1)).toBe(v2);
		// Just outside the largest dot's rim plus the slack: nothing.
		expect(nearestDot(chart, big.cx + big.r + 7, big.cy)).toBeNull();
		expect(nearestDot(chart, big.cx + big.r + 5, big.cy)).toBe(big);
	});

	it('names the dots that (nearly) coincide with one, so each can be chosen', () => {
		// Two nets of the same MACs and nearly the same figure (timm resnet50d 80.546 %, ecaresnet50d 80.634 %).
		const twins: ChartNet[] = [
			{
				name: 'resnet50d',
				family: 'timm',
				domain: 'imagenet',
				macs: 4_328_824_832,
				params: 25_576_264,
				results: publishedFor('resnet50d')
			},
			{
				name: 'ecaresnet50d',
				family: 'timm',
				domain: 'imagenet',
				macs: 4_328_912_640,
				params: 25_576_350,
				results: publishedFor('ecaresnet50d')
			},
			...NETS
		];
		const c = familyChart(twins, { width: 1000, current: null });
		const [a] = dot(c, 'resnet50d');
		expect(dotsNear(c, a).map((d) => d.preset)).toEqual(['ecaresnet50d']);
		expect(dotsNear(c, dot(c, 'resnet18')[0])).toEqual([]);
	});
});
