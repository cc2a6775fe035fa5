import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendRunIndex,
  foldRuns,
  readRunIndex,
  writeRunIndex,
  type RunIndexEntry,
} from '../../data-api/src/automation/run-index.ts';
import { TABLE_FRAME_OPEN } from '../../data-api/src/automation/table-frame.ts';
import { loadRunPages } from '../../plugins/run-pages/index.ts';
import { tempDir } from '../helpers/automation.ts';

// Issue 16, "builds that stay fast": the run index is appended to (index.jsonl), never rebuilt
// from every page; runs older than the fold age (counted back from the project's newest run)
// are listed one month per page; fleetbook's build draws them from index.jsonl (plugins/run-pages).
const tmp = tempDir('run-index');
afterAll(tmp.cleanup);

const entry = (i: number, day: string, state = 'succeeded'): RunIndexEntry => ({
  run_id: `arun_01${String(i).padStart(4, '0')}`,
  state,
  started: `${day}T10:00:00.000Z`,
  duration_s: 12.5,
  deployment_id: 'dep_farm-north-1',
  product: 'lorawan-gw 2.1.0',
  file: `${day}/arun_01${String(i).padStart(4, '0')}.mdx`,
});

/** One run a day from 2025-01-01 for `days` days, with its (tiny) page on disk. */
function seed(docs: string, days: number): string {
  const runsDir = path.join(docs, 'projects', 'farm', 'runs');
  for (let i = 0; i < days; i++) {
    const day = new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    const e = entry(i, day, i % 10 === 3 ? 'failed' : 'succeeded');
    fs.mkdirSync(path.join(runsDir, day), { recursive: true });
    fs.writeFileSync(path.join(runsDir, e.file), `---\nrun_id: "${e.run_id}"\n---\n# Run\n`);
    appendRunIndex(runsDir, e);
  }
  return runsDir;
}

describe('run index and folding', () => {
  it('appends one line per run and reads them back newest first', () => {
    const runsDir = seed(path.join(tmp.dir, 'a'), 5);
    expect(fs.readFileSync(path.join(runsDir, 'index.jsonl'), 'utf8').trim().split('\n')).toHaveLength(5);
    expect(readRunIndex(runsDir).map((e) => e.run_id)).toEqual([
      'arun_010004',
      'arun_010003',
      'arun_010002',
      'arun_010001',
      'arun_010000',
    ]);
  });

  it('folds runs older than the fold age (from the newest run) into one page per month', () => {
    const docs = path.join(tmp.dir, 'b');
    const runsDir = seed(docs, 75); // 2025-01-01 … 2025-03-16
    const written = writeRunIndex(docs, 'farm', { foldDays: 30 });
    const { foldedBefore, recent, months } = foldRuns(readRunIndex(runsDir), 30);
    expect(foldedBefore).toBe('2025-02-14');
    expect(recent).toHaveLength(31);
    expect([...months.keys()]).toEqual(['2025-02', '2025-01']);
    expect(JSON.parse(fs.readFileSync(path.join(runsDir, 'fold.json'), 'utf8'))).toEqual({
      fold_days: 30,
      folded_before: '2025-02-14',
    });
    expect(written.map((f) => path.relative(runsDir, f)).sort()).toEqual([
      '_category_.json',
      'archive/2025-01.mdx',
      'archive/2025-02.mdx',
      'fold.json',
      'index.jsonl',
      'index.mdx',
    ]);

    const index = fs.readFileSync(path.join(runsDir, 'index.mdx'), 'utf8');
    expect(index).toContain('75 runs, 67 succeeded, 8 failed; newest first.');
    expect(index.split('\n').filter((l) => l.startsWith('| 2025'))).toHaveLength(31);
    expect(index).toContain('- [2025\\-01](./archive/2025-01.mdx): 31 runs, 3 failed');
    const january = fs.readFileSync(path.join(runsDir, 'archive', '2025-01.mdx'), 'utf8');
    expect(january).toMatch(/^---\n[\s\S]*^runs: 31$/m);
    expect(january).toContain('[arun\\_010000](pathname:///docs/projects/farm/runs/arun_010000)');
    // Each page's table in its frame (scrolls sideways on a phone, takes the keyboard): the frame's
    // opening line, a blank line, the table, a blank line, its closing line.
    for (const page of [index, january]) {
      const lines = page.split('\n');
      const open = lines.findIndex((l) => TABLE_FRAME_OPEN.test(l));
      expect(TABLE_FRAME_OPEN.exec(lines[open]!)?.[1]).toBe('Runs');
      expect(lines[open + 1]).toBe('');
      expect(lines[open + 2]).toMatch(/^\| (date|started) \(UTC\) \| run \|/);
      const close = lines.indexOf('</div>', open);
      expect(lines.slice(open + 2, close - 1).every((l) => l.startsWith('|'))).toBe(true);
      expect(lines[close - 1]).toBe('');
    }

    // The site build's routes, from index.jsonl and fold.json (no page is read): the recent runs
    // link their page in the build, folded runs the run route; one route per month.
    const [farm] = loadRunPages(docs).projects;
    expect(farm!.index).toMatchObject({
      project: 'farm',
      total: 75,
      succeeded: 67,
      foldedBefore: '2025-02-14',
      months: [
        { month: '2025-02', runs: 13, failed: 2 },
        { month: '2025-01', runs: 31, failed: 3 },
      ],
    });
    expect(farm!.index.recent).toHaveLength(31);
    expect(farm!.index.recent[0]!.href).toBe('/docs/projects/farm/runs/2025-03-16/arun_010074');
    expect(farm!.months.map((m) => m.month)).toEqual(['2025-02', '2025-01']);
    expect(farm!.months[1]!.runs.at(-1)!.href).toBe('/docs/projects/farm/runs/arun_010000');
    expect(farm!.recentFiles).toHaveLength(31);
  });

  it('month pages give each folded run its commit, as the runner wrote it', () => {
    const docs = path.join(tmp.dir, 'e');
    const runsDir = seed(docs, 40);
    writeRunIndex(docs, 'farm', { foldDays: 30 });
    const file = path.join(runsDir, 'archive', '2025-01.mdx');
    const sha = 'ab'.repeat(20);
    // A month page written in a git work tree has a commit column (`sha` or a link to the git web view).
    fs.writeFileSync(
      file,
      fs
        .readFileSync(file, 'utf8')
        .replace(/(\[arun\\_010000\][^\n]*\|) +\|$/m, `$1 \`${sha.slice(0, 10)}\` |`)
        .replace(
          /(\[arun\\_010001\][^\n]*\|) +\|$/m,
          `$1 [${sha.slice(0, 10)}](https://git.example.org/ops/handbook/commit/${sha}) |`,
        ),
    );
    const [farm] = loadRunPages(docs).projects;
    const january = farm!.months.find((m) => m.month === '2025-01')!;
    expect(january.runs.find((r) => r.run_id === 'arun_010000')!.commit).toEqual({ sha: sha.slice(0, 10) });
    expect(january.runs.find((r) => r.run_id === 'arun_010001')!.commit).toEqual({
      sha: sha.slice(0, 10),
      href: `https://git.example.org/ops/handbook/commit/${sha}`,
    });
    expect(january.runs.find((r) => r.run_id === 'arun_010002')!.commit).toBeUndefined();
  });

  it('a new run rewrites only the index files and the month that gained a folded run', () => {
    const docs = path.join(tmp.dir, 'c');
    const runsDir = seed(docs, 75);
    writeRunIndex(docs, 'farm', { foldDays: 30 });
    const day = '2025-03-17';
    fs.mkdirSync(path.join(runsDir, day), { recursive: true });
    appendRunIndex(runsDir, entry(999, day));
    const written = writeRunIndex(docs, 'farm', { foldDays: 30 })
      .map((f) => path.relative(runsDir, f))
      .sort();
    expect(written).toEqual(['archive/2025-02.mdx', 'fold.json', 'index.jsonl', 'index.mdx']);
  });

  it('index.mdx lists the newest 50 runs only, so the page each run rewrites stays the same size', () => {
    const docs = path.join(tmp.dir, 'f');
    seed(docs, 60);
    writeRunIndex(docs, 'farm', { foldDays: 0 });
    const index = fs.readFileSync(path.join(docs, 'projects', 'farm', 'runs', 'index.mdx'), 'utf8');
    expect(index.split('\n').filter((l) => l.startsWith('| 2025'))).toHaveLength(50);
    expect(index).toContain('60 runs, 54 succeeded, 6 failed; newest first.');
    expect(index).toContain(
      "10 earlier runs: their pages are in the day folders, and the site's runs page lists every run.",
    );
    // The site's runs page has them all (from index.jsonl).
    expect(loadRunPages(docs).projects[0]!.index.recent).toHaveLength(60);
  });

  it('an index.jsonl missing from an older repository is rebuilt from the pages once', () => {
    const docs = path.join(tmp.dir, 'd');
    const runsDir = seed(docs, 3);
    fs.rmSync(path.join(runsDir, 'index.jsonl'));
    expect(readRunIndex(runsDir).map((e) => e.run_id)).toEqual(['arun_010002', 'arun_010001', 'arun_010000']);
    expect(fs.existsSync(path.join(runsDir, 'index.jsonl'))).toBe(true);
  });
});
