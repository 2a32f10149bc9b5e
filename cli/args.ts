/** Shared plumbing of the command-line tools: argument errors and the `error:` convention. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A problem with what the user gave us: printed as `error: …`, never as a stack trace. */
export class UsageError extends Error {}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
	try {
		return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
	} catch (e) {
		throw new UsageError((e as Error).message);
	}
}

/** Runs a command's main function with the project's error convention (DESIGN §3.4). */
export async function runCli(main: () => Promise<void> | void): Promise<void> {
	try {
		await main();
	} catch (e) {
		const known =
			e instanceof UsageError || (e instanceof Error && 'path' in e) || (e instanceof Error && 'line' in e);
		if (!known && !(e instanceof Error)) throw e;
		process.stderr.write(`error: ${known ? String(e).replace(/^\w*Error: /, '') : (e as Error).message}\n`);
		process.exitCode = 1;
	}
}
