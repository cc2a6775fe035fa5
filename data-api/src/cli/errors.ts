/** Prints a failure as one line and exits: 2 for configuration, 1 otherwise. No stack dumps. */
export function exitWithError(err: unknown): never {
  const e = err as { message?: string; exitCode?: number };
  process.stderr.write(`fleetbook: ${e?.message ?? String(err)}\n`);
  if (process.env.FLEETBOOK_DEBUG) console.error(err);
  process.exit(typeof e?.exitCode === 'number' ? e.exitCode : 1);
}
