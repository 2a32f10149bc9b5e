/**
 * The feature-map view: which node's channels are shown (a group stands for its output node),
 * the maps read back from the worker, the chosen channel and colour map.
 */
import type { BlockGraph } from '$lib/arch';
import { groupOutput } from '$lib/arch';
import type { ColourMapName, FeatureMaps } from '$lib/pixels/colourmaps';
import type { Runtime } from '$lib/runtime/client';
import { errorText } from './runtime.svelte';

/** The node whose output a selected node or group id stands for, or null when `id` is not in `graph`. */
export function mapTarget(graph: BlockGraph, id: string | null): string | null {
	return id ? groupOutput(graph, id) : null;
}

export class FeatureMapState {
	/** The node the maps are of. */
	node = $state<string | null>(null);
	/** The kept outputs (input and weights) they were read from. */
	#key = '';
	maps = $state.raw<FeatureMaps | null>(null);
	busy = $state(false);
	error = $state('');
	channel = $state<number | null>(null);
	/** Why the last channel asked for was not taken ("… has channels 0–15; showing 15."). */
	channelNote = $state('');
	colourMap = $state<ColourMapName>('viridis');
	#reads = 0;

	clear(): void {
		this.#reads++;
		this.node = null;
		this.#key = '';
		this.maps = null;
		this.busy = false;
		this.error = '';
		this.channel = null;
		this.channelNote = '';
	}

	/**
	 * Reads `node`'s maps from the outputs kept under `key`. False when they were not kept (a new
	 * forward with `node` tapped is needed); a read superseded by a later one changes nothing.
	 */
	async read(remote: Runtime, node: string, key: string): Promise<boolean> {
		if (this.node === node && this.#key === key && this.maps) return true;
		const read = ++this.#reads;
		this.busy = true;
		this.error = '';
		try {
			const maps = await remote.featureMaps(node, key);
			if (read !== this.#reads) return true;
			if (!maps) return false;
			this.maps = maps;
			this.node = node;
			this.#key = key;
			// Open on the first channel; keep the chosen one while it exists.
			if (this.channel === null || this.channel >= maps.channels) this.channel = 0;
			this.channelNote = '';
			return true;
		} catch (e) {
			if (read === this.#reads) this.error = errorText(e);
			return true;
		} finally {
			if (read === this.#reads) this.busy = false;
		}
	}

	/** Shows channel `value` (typed by the user): refused past the last, with the range, and clamped. */
	pickChannel(value: number): void {
		const maps = this.maps;
		if (!maps) return;
		const last = maps.channels - 1;
		if (Number.isInteger(value) && value >= 0 && value <= last) {
			this.channel = value;
			this.channelNote = '';
			return;
		}
		const shown = Number.isFinite(value) ? Math.min(last, Math.max(0, Math.round(value))) : 0;
		this.channel = shown;
		this.channelNote = `${this.node} has channels 0–${last}; showing ${shown}.`;
	}
}
