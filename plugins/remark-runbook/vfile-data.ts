// What remark-runbook keeps on a page's vfile, for the runner plugin and `fleetbook lint` to read.
// Its own module so that readers import it without importing the plugin (no cycle).
import type { RunbookFile } from './types.ts';

declare module 'vfile' {
  interface DataMap {
    /** The analysed runbook (set on runbook pages). */
    runbook: RunbookFile;
    /** Check this page as a runbook whatever its folder or kind (`fleetbook lint <file>`). */
    runbookForce: boolean;
  }
}
