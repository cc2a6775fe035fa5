// Run pages in fleetbook's site build (issue 16, "builds that stay fast"). A project's run pages
// are MDX in git (docs/projects/<project>/runs/), and a plain Docusaurus site builds them as docs.
// fleetbook's own build does not: at ~30 ms a compiled doc, 20,000 runs (or even the last 30 days
// of them and the month pages) made the handbook build 5× slower. Instead the docs plugin leaves
// `projects/*/runs/**` out (RUN_PAGES_EXCLUDE) and this plugin, from each project's runs/index.jsonl
// (one line a run, read as JSON, never the pages):
//  - adds `/docs/projects/<project>/runs` (the runs of the last fold days and the folded months),
//    a route whose data is JSON, and one client route for every month page,
//    `/docs/projects/:project/runs/archive/:month`, whose rows are a JSON file written beside
//    its URL after the build: built pages grow with projects, not runs (nor months);
//  - adds one client route, `/docs/projects/:project/runs/:day/:run`, that draws a run page from
//    its MDX (src/components/RunPages/RunPage: the same markdown, the theme's code blocks and
//    mermaid), and after the build copies each recent run's files (page, full log, artifacts)
//    into the build beside that URL. The site server answers the route's shell for a run whose
//    MDX the build holds; any other run opens on the live run route, drawn from the API.
// No zod here: docusaurus.config.ts loads this file through jiti.
import fs from 'node:fs';
import path from 'node:path';
import type { LoadContext, Plugin } from '@docusaurus/types';

/** The docs plugin's own exclude list (@docusaurus/utils GlobExcludeDefault), kept when adding to it. */
export const DOCS_EXCLUDE_DEFAULT = [
  '**/_*.{js,jsx,ts,tsx,md,mdx}',
  '**/_*/**',
  '**/*.test.{js,jsx,ts,tsx}',
  '**/__tests__/**',
];
/** Every run page, month page and run index: drawn by this plugin, not compiled as docs. */
export const RUN_PAGES_EXCLUDE = 'projects/*/runs/**';
export const RUN_PAGE_SHELL_ROUTE = '/docs/projects/:project/runs/:day/:run';
/** Where Docusaurus writes that route's shell (the route path as a file name). */
export const RUN_PAGE_SHELL = 'docs/projects/:project/runs/:day/:run.html';
export const RUN_MONTH_SHELL_ROUTE = '/docs/projects/:project/runs/archive/:month';
export const RUN_MONTH_SHELL = 'docs/projects/:project/runs/archive/:month.html';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-\d{2}$/;

export interface RunRow {
  run_id: string;
  state: string;
  started: string;
  duration_s: number | null;
  deployment_id: string;
  product: string;
  /** The run's page in this build (recent runs) or its run route (folded ones). */
  href: string;
  /** Folded months: the run's commit (from the month page the runner wrote), short and its link. */
  commit?: { sha: string; href?: string };
}
export interface MonthSummary {
  month: string;
  runs: number;
  failed: number;
}
export interface ProjectRuns {
  project: string;
  total: number;
  succeeded: number;
  foldedBefore: string | null;
  recent: RunRow[];
  months: MonthSummary[];
}
export interface MonthRuns {
  project: string;
  month: string;
  runs: RunRow[];
}
interface Content {
  projects: Array<{ index: ProjectRuns; months: MonthRuns[]; recentFiles: Array<{ day: string; run_id: string }> }>;
}

interface IndexLine {
  run_id?: unknown;
  state?: unknown;
  started?: unknown;
  duration_s?: unknown;
  deployment_id?: unknown;
  product?: unknown;
  file?: unknown;
}

const newestFirst = (a: RunRow, b: RunRow) =>
  a.started === b.started ? (a.run_id < b.run_id ? 1 : -1) : a.started < b.started ? 1 : -1;

/** A project's runs from runs/index.jsonl (the last line of a run wins; torn lines skipped). */
export function readIndexLines(
  runsDir: string,
): Map<string, IndexLine & { run_id: string; started: string; file: string }> {
  const byId = new Map<string, IndexLine & { run_id: string; started: string; file: string }>();
  let text: string;
  try {
    text = fs.readFileSync(path.join(runsDir, 'index.jsonl'), 'utf8');
  } catch {
    return byId;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as IndexLine;
      if (typeof e.run_id === 'string' && typeof e.started === 'string' && typeof e.file === 'string')
        byId.set(e.run_id, e as IndexLine & { run_id: string; started: string; file: string });
    } catch {
      // a torn line (a crash mid-append): the runner rebuilds the index from the pages
    }
  }
  return byId;
}

/** Run id → commit, from the month page the runner wrote (`… | [arun_…](pathname://…) | … | commit |`). */
function monthCommits(file: string): Map<string, { sha: string; href?: string }> {
  const out = new Map<string, { sha: string; href?: string }>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  const row =
    /\[(arun[^\]]+)\]\(pathname:\/\/[^)]*\).*\|\s*(?:\[([0-9a-f]{7,40})\]\(([^)\s]+)\)|`([0-9a-f]{7,40})`)\s*\|\s*$/gm;
  for (const m of text.matchAll(row)) {
    const id = m[1]!.replace(/\\/g, '');
    out.set(id, m[2] ? { sha: m[2], href: m[3]! } : { sha: m[4]! });
  }
  return out;
}

function foldedBeforeOf(runsDir: string): string | null {
  try {
    const fold = JSON.parse(fs.readFileSync(path.join(runsDir, 'fold.json'), 'utf8')) as { folded_before?: unknown };
    return typeof fold.folded_before === 'string' && DAY.test(fold.folded_before) ? fold.folded_before : null;
  } catch {
    return null;
  }
}

/** Everything the routes need, from index.jsonl, fold.json and the month pages of each project. */
export function loadRunPages(docsDir: string): Content {
  const projects: Content['projects'] = [];
  let dirs: fs.Dirent[];
  try {
    dirs = fs.readdirSync(path.join(docsDir, 'projects'), { withFileTypes: true });
  } catch {
    return { projects };
  }
  for (const dir of dirs.filter((d) => d.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const project = dir.name;
    const runsDir = path.join(docsDir, 'projects', project, 'runs');
    const lines = readIndexLines(runsDir);
    if (lines.size === 0 && !fs.existsSync(path.join(runsDir, 'index.mdx'))) continue;
    const foldedBefore = foldedBeforeOf(runsDir);
    const base = `/docs/projects/${project}/runs`;
    const recent: RunRow[] = [];
    const recentFiles: Array<{ day: string; run_id: string }> = [];
    const byMonth = new Map<string, RunRow[]>();
    let succeeded = 0;
    for (const e of lines.values()) {
      const day = e.file.split('/')[0]!;
      if (!DAY.test(day)) continue;
      const row: RunRow = {
        run_id: e.run_id,
        state: String(e.state ?? 'unknown'),
        started: e.started,
        duration_s: typeof e.duration_s === 'number' ? e.duration_s : null,
        deployment_id: String(e.deployment_id ?? ''),
        product: String(e.product ?? ''),
        href: '',
      };
      if (row.state === 'succeeded') succeeded++;
      if (foldedBefore === null || day >= foldedBefore) {
        row.href = `${base}/${day}/${encodeURIComponent(e.run_id)}`;
        recent.push(row);
        recentFiles.push({ day, run_id: e.run_id });
      } else {
        row.href = `${base}/${encodeURIComponent(e.run_id)}`;
        const month = day.slice(0, 7);
        const list = byMonth.get(month);
        if (list) list.push(row);
        else byMonth.set(month, [row]);
      }
    }
    const months: MonthRuns[] = [];
    for (const [month, runs] of [...byMonth.entries()].sort((a, b) => (a[0] < b[0] ? 1 : -1))) {
      if (!MONTH.test(month)) continue;
      const commits = monthCommits(path.join(runsDir, 'archive', `${month}.mdx`));
      for (const r of runs) {
        const c = commits.get(r.run_id);
        if (c) r.commit = c;
      }
      months.push({ project, month, runs: runs.sort(newestFirst) });
    }
    projects.push({
      index: {
        project,
        total: lines.size,
        succeeded,
        foldedBefore,
        recent: recent.sort(newestFirst),
        months: months.map((m) => ({
          month: m.month,
          runs: m.runs.length,
          failed: m.runs.filter((r) => r.state !== 'succeeded').length,
        })),
      },
      months,
      recentFiles,
    });
  }
  return { projects };
}

/** Copies what a run page links to (page, full log, artifacts) into the build, beside its URL. */
function copyRecentRuns(docsDir: string, outDir: string, content: Content): void {
  for (const p of content.projects) {
    const project = p.index.project;
    for (const { day, run_id } of p.recentFiles) {
      const from = path.join(docsDir, 'projects', project, 'runs', day);
      const to = path.join(outDir, 'docs', 'projects', project, 'runs', day);
      fs.mkdirSync(to, { recursive: true });
      for (const name of [`${run_id}.mdx`, `${run_id}.log.txt`, `${run_id}.artifacts`]) {
        const src = path.join(from, name);
        if (fs.existsSync(src)) fs.cpSync(src, path.join(to, name), { recursive: true });
      }
    }
  }
}

/** Each folded month's rows as `docs/projects/<project>/runs/archive/<YYYY-MM>.json` in the build. */
function writeMonths(outDir: string, content: Content): void {
  for (const p of content.projects) {
    if (p.months.length === 0) continue;
    const dir = path.join(outDir, 'docs', 'projects', p.index.project, 'runs', 'archive');
    fs.mkdirSync(dir, { recursive: true });
    for (const m of p.months) fs.writeFileSync(path.join(dir, `${m.month}.json`), JSON.stringify(m));
  }
}

export default function runPages(context: LoadContext): Plugin<unknown> {
  const docsDir = path.join(context.siteDir, 'docs');
  return {
    name: 'fleetbook-run-pages',
    getPathsToWatch: () => [
      path.join(docsDir, 'projects/*/runs/index.jsonl'),
      path.join(docsDir, 'projects/*/runs/fold.json'),
    ],
    async loadContent() {
      return loadRunPages(docsDir);
    },
    async contentLoaded({ content: loaded, actions }) {
      const content = loaded as Content;
      const { addRoute, createData } = actions;
      // The shell of every run page the build holds (its MDX is fetched beside the URL).
      addRoute({ path: RUN_PAGE_SHELL_ROUTE, component: '@site/src/components/RunPages/RunPage.tsx', exact: true });
      for (const p of content.projects) {
        const project = p.index.project;
        const index = await createData(`runs-${project}.json`, JSON.stringify(p.index));
        addRoute({
          path: `/docs/projects/${project}/runs`,
          component: '@site/src/components/RunPages/RunIndex.tsx',
          modules: { runs: index },
          exact: true,
        });
      }
      // One shell for every month page; each month's rows are a JSON file beside its URL.
      addRoute({ path: RUN_MONTH_SHELL_ROUTE, component: '@site/src/components/RunPages/RunMonth.tsx', exact: true });
    },
    async postBuild({ content, outDir }) {
      if (!content) return;
      copyRecentRuns(docsDir, outDir, content as Content);
      writeMonths(outDir, content as Content);
    },
  };
}
