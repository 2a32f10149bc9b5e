/**
 * The explorer's state: one ArchSpec, everything else derived from it (DESIGN §1).
 */
import {
	SpecError,
	canonicalSpec,
	cloneSpec,
	decodeSpecUrl,
	encodeSpecUrl,
	presetSpec,
	specsEqual,
	tryBuildGraph,
	type ArchSpec,
	type BlockGraph,
	type GraphResult
} from '$lib/arch';

export interface Pinned {
	/** What the pinned side is called in the comparison (its spec's name, or the preset's). */
	label: string;
	spec: ArchSpec;
	graph: BlockGraph;
}

export class Explorer {
	/** The architecture being shown; edits replace it whole. The app opens on the trained demo model. */
	spec = $state<ArchSpec>(presetSpec('fashion-resnet')!);
	/** The preset the spec came from, or null once edited away from it. */
	presetName = $state<string | null>('fashion-resnet');
	/** The preset the current spec was last derived from (kept while edits move away from it). */
	basePreset = $state<string>('fashion-resnet');

	/** The node picked in the diagram or the layer table (a node id, DESIGN §3.2), or null. */
	selectedId = $state<string | null>(null);

	/** The architecture pinned for comparison, or null. */
	pinned = $state.raw<Pinned | null>(null);

	/** Problems that do not belong to the spec's fields: a bad link or a bad spec file. */
	loadErrors = $state.raw<SpecError[]>([]);
	/** Where the load errors came from ("link", "file.json"). */
	loadSource = $state<string>('');

	readonly result: GraphResult = $derived(tryBuildGraph(this.spec));
	/** Problems with the current spec; empty when it builds. */
	readonly errors: SpecError[] = $derived(this.result.ok ? [] : this.result.errors);

	// The initial spec is a preset, so there is always a last good graph.
	#lastGood: BlockGraph | null = null;
	/** The graph of the spec, or of the last valid spec while the current one has errors. */
	readonly graph: BlockGraph = $derived.by(() => {
		if (this.result.ok) this.#lastGood = this.result.graph;
		return this.#lastGood!;
	});

	/** The graph of the base preset, for "+18,992,128 params vs resnet50". */
	readonly baseGraph: BlockGraph | null = $derived.by(() => {
		const spec = presetSpec(this.basePreset);
		const r = spec && tryBuildGraph(spec);
		return r && r.ok ? r.graph : null;
	});

	/** True when the current (valid) spec differs from its base preset. */
	readonly edited: boolean = $derived(
		this.baseGraph !== null && !specsEqual(this.graph.spec, this.baseGraph.spec)
	);

	/** The share link's query (`?preset=…&…`) for the current spec (or the last valid one). */
	readonly shareQuery: string = $derived(encodeSpecUrl(this.graph.spec, this.basePreset));

	choosePreset(name: string): void {
		const spec = presetSpec(name);
		if (!spec) return;
		this.spec = spec;
		this.presetName = name;
		this.basePreset = name;
		this.loadErrors = [];
	}

	setSpec(spec: ArchSpec): void {
		this.spec = cloneSpec(spec);
		const preset = presetSpec(spec.name);
		if (preset) this.basePreset = spec.name;
		this.presetName = preset && specsEqual(preset, spec) ? spec.name : null;
	}

	/**
	 * Applies one edit to a copy of the spec. An invalid result is kept (its errors shown next to
	 * their fields) while the graph stays the last valid one.
	 */
	update(edit: (spec: ArchSpec) => void): void {
		const next = cloneSpec(this.spec);
		edit(next);
		const base = presetSpec(this.basePreset);
		this.spec = next;
		this.presetName = base && specsEqual(base, next) ? this.basePreset : null;
	}

	/** Errors placed exactly at `path` (e.g. `stages[2].blocks`). */
	errorsAt(path: string): SpecError[] {
		return this.errors.filter((e) => e.path === path);
	}

	/** Errors whose path is not one of `shown` (they get a general place on the page). */
	errorsElsewhere(shown: (path: string) => boolean): SpecError[] {
		return this.errors.filter((e) => !shown(e.path));
	}

	/** Pins the current (valid) architecture for comparison. */
	pin(label?: string): void {
		const graph = this.graph;
		this.pinned = { label: label ?? graph.spec.name, spec: cloneSpec(graph.spec), graph };
	}

	unpin(): void {
		this.pinned = null;
	}

	/** Swaps the pinned and the current architecture. */
	swapPinned(): void {
		const p = this.pinned;
		if (!p) return;
		this.pin();
		this.setSpec(p.spec);
	}

	/** Pins the current architecture and shows it next to a variant of itself. */
	compareWith(edit: (spec: ArchSpec) => void, label?: string): void {
		this.pin(label);
		this.update(edit);
	}

	/**
	 * Restores a spec from a share link's query. A bad key is left out (and kept in loadErrors);
	 * a link to an unknown preset leaves the spec as it is. True when the whole link was used.
	 */
	loadQuery(query: string): boolean {
		const r = decodeSpecUrl(query);
		this.loadErrors = r.errors;
		this.loadSource = 'link';
		if (!r.ok) return false;
		this.basePreset = r.preset;
		this.setSpec(r.spec);
		this.basePreset = r.preset;
		return r.errors.length === 0;
	}

	/** Loads a `.json` spec file's text; errors are kept as values and the spec stays as it is. */
	loadJson(text: string, source: string): boolean {
		let data: unknown;
		try {
			data = JSON.parse(text);
		} catch (e) {
			this.loadErrors = [new SpecError('', `not valid JSON: ${(e as Error).message}`)];
			this.loadSource = source;
			return false;
		}
		// A summary (`calc --format json`) carries its spec in a `spec` field.
		if (data && typeof data === 'object' && !Array.isArray(data) && 'spec' in data && 'layers' in data)
			data = (data as { spec: unknown }).spec;
		const r = tryBuildGraph(data);
		if (!r.ok) {
			this.loadErrors = r.errors;
			this.loadSource = source;
			return false;
		}
		this.loadErrors = [];
		this.setSpec(canonicalSpec(r.graph.spec));
		return true;
	}

	dismissLoadErrors(): void {
		this.loadErrors = [];
	}
}
