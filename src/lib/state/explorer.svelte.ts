/**
 * The explorer's state: one ArchSpec, everything else derived from it (DESIGN §1).
 */
import {
	cloneSpec,
	presetSpec,
	tryBuildGraph,
	type ArchSpec,
	type BlockGraph,
	type SpecError
} from '$lib/arch';

export class Explorer {
	/** The architecture being shown; edits replace it whole. */
	spec = $state<ArchSpec>(presetSpec('resnet50')!);
	/** The preset the spec came from, or null once edited away from it. */
	presetName = $state<string | null>('resnet50');

	/** The node picked in the diagram or the layer table (a node id, DESIGN §3.2), or null. */
	selectedId = $state<string | null>(null);

	readonly result = $derived(tryBuildGraph(this.spec));
	/** Problems with the current spec; empty when it builds. */
	readonly errors: SpecError[] = $derived(this.result.ok ? [] : this.result.errors);

	// The initial spec is a preset, so there is always a last good graph.
	#lastGood: BlockGraph | null = null;
	/** The graph of the spec, or of the last valid spec while the current one has errors. */
	readonly graph: BlockGraph = $derived.by(() => {
		if (this.result.ok) this.#lastGood = this.result.graph;
		return this.#lastGood!;
	});

	choosePreset(name: string): void {
		const spec = presetSpec(name);
		if (!spec) return;
		this.spec = spec;
		this.presetName = name;
	}

	setSpec(spec: ArchSpec): void {
		this.spec = cloneSpec(spec);
		this.presetName = null;
	}
}
