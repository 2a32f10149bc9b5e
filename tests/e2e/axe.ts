/**
 * Accessibility check with axe-core (injected from node_modules; no network): the violations
 * of WCAG 2.x A/AA rules and axe's best practices on the page as it is now.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
	id: string;
	impact: string | null;
	help: string;
	nodes: { target: string[]; html: string }[];
}

/**
 * Runs axe on the page, or only inside the element `within` selects (axe then skips its
 * page-level rules such as landmark-one-main); returns its violations (empty when it passes).
 */
export async function axeViolations(page: Page, within?: string): Promise<AxeViolation[]> {
	await page.addScriptTag({ content: axeSource });
	return page.evaluate(async (within) => {
		const axe = (
			window as unknown as {
				axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> };
			}
		).axe;
		const r = await axe.run(within ? { include: [within] } : document, {
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }
		});
		return r.violations.map((v) => ({
			id: v.id,
			impact: v.impact,
			help: v.help,
			nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, html: n.html.slice(0, 200) }))
		}));
	}, within);
}

/** One line per violation, for a readable assertion message. */
export function describeViolations(vs: AxeViolation[]): string {
	return vs
		.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
		.join('\n');
}
