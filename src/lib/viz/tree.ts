/**
 * The diagram as a tree widget for the keyboard (WAI-ARIA APG, Tree View pattern): its boxes and
 * open groups in reading order, each one's place among its siblings, and what a key does on one.
 * Pure; the component moves the focus and opens or closes groups as told.
 */
import { flowOrder, type DiagramBox, type DiagramFrame, type DiagramLayout } from './layout';

export type TreeItem = DiagramBox | DiagramFrame;

export interface DiagramTree {
	/** Every box and open group, in reading order (the order ↑/↓ walk). */
	order: TreeItem[];
	/** Position in `order` by id. */
	index: Map<string, number>;
	/** aria-posinset / aria-setsize: the item's place among the children of its parent (1-based). */
	place: Map<string, { pos: number; size: number }>;
}

export const isOpen = (it: TreeItem): it is DiagramFrame => 'headerH' in it;

export function diagramTree(layout: DiagramLayout): DiagramTree {
	const order = flowOrder(layout.frames, layout.boxes);
	const index = new Map<string, number>();
	const counts = new Map<string | null, number>();
	const place = new Map<string, { pos: number; size: number }>();
	order.forEach((it, i) => {
		index.set(it.id, i);
		const pos = (counts.get(it.parent) ?? 0) + 1;
		counts.set(it.parent, pos);
		place.set(it.id, { pos, size: 0 });
	});
	for (const it of order) place.get(it.id)!.size = counts.get(it.parent)!;
	return { order, index, place };
}

export type TreeAction =
	| { do: 'focus'; id: string }
	| { do: 'open'; id: string }
	| { do: 'close'; id: string }
	| { do: 'select'; id: string };

/**
 * What `key` does on the item `id`: ↓/↑ next/previous in reading order; → opens a closed group or
 * enters an open one; ← closes an open group or goes to the parent; + / − open / close;
 * Home/End the first/last item; Enter or Space selects. null: the key is not the tree's.
 */
export function treeKey(tree: DiagramTree, id: string, key: string): TreeAction | null {
	const i = tree.index.get(id);
	if (i === undefined) return null;
	const it = tree.order[i];
	const focus = (j: number): TreeAction | null =>
		j >= 0 && j < tree.order.length && j !== i ? { do: 'focus', id: tree.order[j].id } : null;
	const closed = !isOpen(it) && it.expandable;
	switch (key) {
		case 'ArrowDown':
			return focus(i + 1);
		case 'ArrowUp':
			return focus(i - 1);
		case 'Home':
			return focus(0);
		case 'End':
			return focus(tree.order.length - 1);
		case 'ArrowRight':
			if (closed) return { do: 'open', id };
			return isOpen(it) && tree.order[i + 1]?.parent === id ? focus(i + 1) : null;
		case 'ArrowLeft':
			if (isOpen(it)) return { do: 'close', id };
			return it.parent ? { do: 'focus', id: it.parent } : null;
		case '+':
			return closed ? { do: 'open', id } : null;
		case '-':
			return isOpen(it) ? { do: 'close', id } : null;
		case 'Enter':
		case ' ':
			return { do: 'select', id };
	}
	return null;
}
