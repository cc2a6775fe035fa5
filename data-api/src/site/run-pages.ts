// Run pages on the running site (issue 16): `/docs/projects/<project>/runs/<run_id>` is answered
// at once. When the served build holds the run's page (…/runs/<YYYY-MM-DD>/<run_id>), a redirect
// to it; otherwise the live shell (plugins/live-run-route), which draws the run from the API.
// fleetbook's build holds a run page as its MDX beside that URL (`<run_id>.mdx`, copied by
// plugins/run-pages) and one shell that draws it (RUN_PAGE_SHELL); a site that compiles run pages
// as docs has `<run_id>.html`. Run ids are ULIDs: their time gives the page's day (±1 for a run
// queued before midnight and started after it), so finding the page is a few stats, not a folder scan.
import fs from 'node:fs';
import path from 'node:path';
import { RUN_PAGE_ROUTE_PATTERN } from '../contracts/automation-runs.ts';

export const LIVE_RUN_SHELL = 'docs/projects/:project/runs/:run.html';
/** The shell of a run page the build holds as MDX (plugins/run-pages RUN_PAGE_SHELL). */
export const RUN_PAGE_SHELL = 'docs/projects/:project/runs/:day/:run.html';
/** The shell of a folded month's page (plugins/run-pages RUN_MONTH_SHELL); its rows are `<YYYY-MM>.json`. */
export const RUN_MONTH_SHELL = 'docs/projects/:project/runs/archive/:month.html';
const MONTH_URL = /^\/docs\/projects\/([a-z0-9][a-z0-9-]{0,63})\/runs\/archive\/(\d{4}-\d{2})$/;
const DAY_RUN_URL =
  /^\/docs\/projects\/([a-z0-9][a-z0-9-]{0,63})\/runs\/(\d{4}-\d{2}-\d{2})\/(arun_[A-Za-z0-9._-]{1,64})$/;
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/** Milliseconds of a ULID body (the first 10 characters), or null. */
export function ulidTime(runId: string): number | null {
  const body = runId.replace(/^arun_/, '').toLowerCase();
  if (body.length < 10) return null;
  let t = 0;
  for (const ch of body.slice(0, 10)) {
    const v = CROCKFORD.indexOf(ch);
    if (v < 0) return null;
    t = t * 32 + v;
  }
  return t;
}

export type RunPageAnswer = { kind: 'static'; url: string } | { kind: 'shell'; file: string } | null;

const isFile = (file: string) => {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/** What the site answers for a run page URL (null: not a run page URL, or no shell in this build). */
export function answerRunPage(siteDir: string, urlPath: string): RunPageAnswer {
  const m = RUN_PAGE_ROUTE_PATTERN.exec(urlPath);
  if (!m) return null;
  const [, project, runId] = m as unknown as [string, string, string];
  const runsDir = path.join(siteDir, 'docs', 'projects', project, 'runs');
  const t = ulidTime(runId);
  const days = t === null ? [] : [0, -1, 1].map((d) => new Date(t + d * 86_400_000).toISOString().slice(0, 10));
  for (const day of days) {
    const page = path.join(runsDir, day, runId);
    if (isFile(`${page}.html`) || (isFile(`${page}.mdx`) && isFile(path.join(siteDir, RUN_PAGE_SHELL))))
      return { kind: 'static', url: `/docs/projects/${project}/runs/${day}/${runId}` };
  }
  const shell = path.join(siteDir, LIVE_RUN_SHELL);
  return isFile(shell) ? { kind: 'shell', file: LIVE_RUN_SHELL } : null;
}

/**
 * A run page URL (…/runs/<day>/<run_id>) whose MDX the build holds, or a month page URL
 * (…/runs/archive/<YYYY-MM>) whose rows it holds: the shell that draws it, else null.
 */
export function runPageShell(siteDir: string, urlPath: string): string | null {
  const run = DAY_RUN_URL.exec(urlPath);
  if (run) {
    const [, project, day, runId] = run as unknown as [string, string, string, string];
    return isFile(path.join(siteDir, 'docs', 'projects', project, 'runs', day, `${runId}.mdx`)) &&
      isFile(path.join(siteDir, RUN_PAGE_SHELL))
      ? RUN_PAGE_SHELL
      : null;
  }
  const month = MONTH_URL.exec(urlPath);
  if (month) {
    const [, project, m] = month as unknown as [string, string, string];
    return isFile(path.join(siteDir, 'docs', 'projects', project, 'runs', 'archive', `${m}.json`)) &&
      isFile(path.join(siteDir, RUN_MONTH_SHELL))
      ? RUN_MONTH_SHELL
      : null;
  }
  return null;
}
