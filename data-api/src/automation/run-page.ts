// Run pages (contracts.md "Run pages"): docs/projects/<project>/runs/<YYYY-MM-DD>/<run_id>.mdx
// and the per-project index docs/projects/<project>/runs/index.mdx.
//
// Logs are arbitrary text and must never break the MDX build or execute. The rules:
//  - ANSI escape sequences and control characters (NUL included) are removed; CR/LF → LF.
//  - A log goes into a fenced code block whose fence is longer than any backtick run inside it;
//    the fence's meta `{0}` (an empty highlight range) stops Docusaurus from treating log lines
//    such as `// highlight-next-line` as magic comments, so every line is shown as written.
//  - Text in prose and table cells (messages, errors, names) is escaped: every ASCII punctuation
//    character gets a backslash (CommonMark escapes), so `{`, `<`, `|`, `*`, `import` … are text.
//  - Frontmatter is YAML with every string double-quoted.
//  - Logs over `maxLogBytes` (default 200 KB per page) are truncated, head and tail kept; the
//    full text goes to `<run_id>.log.txt` beside the page (linked; Docusaurus serves it as a file).
//    Artifacts live in `<run_id>.artifacts/<action_id>/<name>` beside the page.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { findInlineSecrets } from '../contracts/execution-spec.ts';
import { apiUrl, automationRoutes } from '../contracts/automation-write-back.ts';
import type { RunRecord } from './runner.ts';
import { appendRunIndex, writeRunIndex, type RunIndexOptions } from './run-index.ts';
import { stateMark } from './state-mark.ts';
import { tableFrame } from './table-frame.ts';
import { stepTree, stepTreeMermaid } from '../contracts/step-tree.ts';

export const DEFAULT_MAX_LOG_BYTES = 200 * 1024;

export interface RunPagePaths {
  runsDir: string;
  dayDir: string;
  page: string;
  fullLog: string;
  artifactsDir: string;
  index: string;
  category: string;
}

/** Where a run's files go, under a docs root (the site's `docs/`). */
export function runPagePaths(docsRoot: string, project: string, runId: string, startedAt: string | Date): RunPagePaths {
  const day = new Date(startedAt).toISOString().slice(0, 10);
  const runsDir = path.join(path.resolve(docsRoot), 'projects', project, 'runs');
  const dayDir = path.join(runsDir, day);
  return {
    runsDir,
    dayDir,
    page: path.join(dayDir, `${runId}.mdx`),
    fullLog: path.join(dayDir, `${runId}.log.txt`),
    artifactsDir: path.join(dayDir, `${runId}.artifacts`),
    index: path.join(runsDir, 'index.mdx'),
    category: path.join(runsDir, '_category_.json'),
  };
}

// ---------------------------------------------------------------------------------------
// Inert text

const ANSI =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]/g;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;

/** Removes ANSI escapes and control characters (keeps newlines and tabs); CRLF and lone CR → LF. */
export function sanitizeText(text: string): string {
  const wellFormed =
    typeof (text as { toWellFormed?: () => string }).toWellFormed === 'function'
      ? (text as unknown as { toWellFormed: () => string }).toWellFormed()
      : text;
  return wellFormed.replace(ANSI, '').replace(/\r\n?/g, '\n').replace(CONTROL, '');
}

/** One line of inert MDX text: sanitized, on one line, every ASCII punctuation backslash-escaped. */
export function escapeMdxInline(text: string, maxChars = Infinity): string {
  let s = sanitizeText(text)
    .replace(/[\n\t\u2028\u2029]+/g, ' ')
    .trim();
  if (s.length > maxChars) s = `${s.slice(0, maxChars)}…`;
  return s.replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

/** A fenced code block that nothing inside can close. */
export function codeBlock(content: string, lang = 'text'): string {
  const runs = content.match(/`+/g) ?? [];
  const longest = runs.reduce((m, r) => Math.max(m, r.length), 0);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return `${fence}${lang} {0}\n${body}${fence}`;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** The first (or last) `bytes` bytes of a string, cut on a character boundary. */
function sliceBytes(s: string, bytes: number, fromEnd = false): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= bytes) return s;
  if (!fromEnd) {
    let end = bytes;
    while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
    return buf.subarray(0, end).toString('utf8');
  }
  let start = buf.length - bytes;
  while (start < buf.length && (buf[start]! & 0xc0) === 0x80) start++;
  return buf.subarray(start).toString('utf8');
}

/**
 * Fits logs into a byte budget: small logs stay whole, the large ones share the rest equally
 * (water-filling), each keeping its head and tail around a marker line.
 */
export function truncateLogs(
  logs: string[],
  budget: number,
  fullLogName: string,
): { logs: string[]; truncated: boolean } {
  const sizes = logs.map(byteLength);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= budget) return { logs, truncated: false };
  const shares = new Array<number>(logs.length).fill(0);
  let left = budget;
  let open = logs.map((_, i) => i).sort((a, b) => sizes[a]! - sizes[b]!);
  while (open.length > 0) {
    const share = Math.floor(left / open.length);
    const small = open.filter((i) => sizes[i]! <= share);
    if (small.length === 0) {
      for (const i of open) shares[i] = share;
      break;
    }
    for (const i of small) {
      shares[i] = sizes[i]!;
      left -= sizes[i]!;
    }
    open = open.filter((i) => sizes[i]! > share);
  }
  return {
    truncated: true,
    logs: logs.map((log, i) => {
      if (sizes[i]! <= shares[i]!) return log;
      const keep = Math.max(0, shares[i]! - 200);
      const head = sliceBytes(log, Math.floor(keep / 2));
      const tail = sliceBytes(log, Math.ceil(keep / 2), true);
      const cut = sizes[i]! - byteLength(head) - byteLength(tail);
      return `${head}\n… [${cut} bytes truncated: the full log is in ${fullLogName}] …\n${tail}`;
    }),
  };
}

// ---------------------------------------------------------------------------------------

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function frontmatter(data: Record<string, unknown>): string {
  return `---\n${YAML.stringify(data, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 })}---\n`;
}

/** Secret references stay references; anything that still looks like a value is masked. */
export function redactedSnapshot(spec: RunRecord['spec']): string {
  // A validated spec holds references only; this is the second lock on the door.
  const copy = structuredClone(spec) as unknown as Record<string, unknown>;
  for (const { path: p } of findInlineSecrets(copy)) {
    let node = copy as Record<string | number, unknown>;
    for (const seg of p.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
    node[p[p.length - 1]!] = '[redacted]';
  }
  return YAML.stringify(copy, { lineWidth: 0 });
}

function relLink(fromDir: string, file: string): string | undefined {
  const rel = path.relative(fromDir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return `./${rel.split(path.sep).map(encodeURIComponent).join('/')}`;
}

export interface RenderOptions {
  maxLogBytes?: number;
  /** Where the page will be written (for relative artifact links). */
  pageDir?: string;
}

export interface RenderedRunPage {
  mdx: string;
  /** The full logs when the page holds a truncated copy. */
  fullLog?: string;
}

export function renderRunPage(run: RunRecord, opts: RenderOptions = {}): RenderedRunPage {
  const fullLogName = `${run.run_id}.log.txt`;
  const logs = run.actions.map((a) => sanitizeText(a.log.join('\n')));
  const fitted = truncateLogs(logs, opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES, fullLogName);
  // One section per helper, in page order.
  const out: string[] = [
    ...headerSection(run),
    ...summarySection(run),
    ...stepTreeSection(run),
    ...timelineSection(run),
    ...logsSection(run, fitted, fullLogName),
    ...artifactsSection(run, opts.pageDir),
    ...snapshotSection(run),
    ...linksSection(run),
    ...warningsSection(run),
  ];
  const fullLog = fitted.truncated
    ? run.actions.map((a) => `===== ${a.id} (${a.type}) ${a.state} =====\n${a.log.join('\n')}\n`).join('\n')
    : undefined;
  return { mdx: `${out.join('\n')}\n`, ...(fullLog !== undefined ? { fullLog } : {}) };
}

/** Frontmatter, title and the one-line run header. */
function headerSection(run: RunRecord): string[] {
  const hhmm = new Date(run.started_at).toISOString().slice(11, 16);
  return [
    frontmatter({
      title: `Run ${run.run_id} ${run.state}`,
      sidebar_label: `${hhmm} ${run.state} ${run.run_id.slice(-6)}`,
      description: `Automation run of ${run.project} for ${run.deployment_id} (${run.product_code} ${run.product_version}): ${run.state}.`,
      run_id: run.run_id,
      project: run.project,
      spec_digest: run.spec_digest,
      deployment_id: run.deployment_id,
      product_code: run.product_code,
      product_version: run.product_version,
      state: run.state,
      started: run.started_at,
      finished: run.finished_at,
      duration_s: Math.round(run.duration_ms / 100) / 10,
    }),
    `{/* Written by fleetbook run. Regenerated, not edited: the run record is the source. */}\n`,
    `# Run ${escapeMdxInline(run.run_id)}\n`,
    `**${stateMark(run.state)} ${run.state}** · project ${escapeMdxInline(run.project)} · deployment ${escapeMdxInline(run.deployment_id)} · product ${escapeMdxInline(run.product_code)} ${escapeMdxInline(run.product_version)} · started ${escapeMdxInline(run.started_at)} · ${seconds(run.duration_ms)}\n`,
  ];
}

/** Outcome sentence, the action table and any tickets opened. */
function summarySection(run: RunRecord): string[] {
  const out: string[] = ['## Summary\n'];
  const failed = run.actions.find((a) => a.state === 'failed');
  out.push(
    failed
      ? `The run failed at action ${escapeMdxInline(failed.id)} (${escapeMdxInline(failed.type)}): ${escapeMdxInline(failed.error ?? 'failed', 500)}\n`
      : `${plural(run.actions.filter((a) => a.state === 'succeeded').length, 'action')} succeeded${
          run.actions.some((a) => a.state === 'skipped')
            ? `, ${run.actions.filter((a) => a.state === 'skipped').length} skipped`
            : ''
        }.\n`,
  );
  const table = [
    '| # | action | type | state | attempts | duration | result |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  run.actions.forEach((a, i) => {
    const result =
      a.state === 'failed' ? (a.error ?? '') : a.state === 'skipped' ? (a.log.at(-1) ?? '') : (a.summary ?? '');
    table.push(
      `| ${i + 1} | ${escapeMdxInline(a.id)} | ${escapeMdxInline(a.type)} | ${stateMark(a.state)} ${a.state} | ${a.attempts} | ${a.state === 'skipped' ? '' : seconds(a.duration_ms)} | ${escapeMdxInline(result, 300)} |`,
    );
  });
  out.push(...tableFrame('Actions', table));
  if (run.tickets.length > 0) {
    out.push('Tickets opened:\n');
    for (const t of run.tickets) {
      const item = t.work_item_id
        ? ` (work item \`${t.work_item_id}\`${t.external_ref?.key ? `, ${escapeMdxInline(t.external_ref.key, 100)}` : ''})`
        : '';
      out.push(`- ${escapeMdxInline(t.severity ?? 'critical')}: ${escapeMdxInline(t.summary, 500)}${item}`);
    }
    out.push('');
  }
  return out;
}

/** What waited for what, each step in its state (mermaid, drawn by the site). */
function stepTreeSection(run: RunRecord): string[] {
  const tree = stepTree(run.spec.actions);
  return [
    '## Step tree\n',
    tree.mode === 'sequence'
      ? 'The actions ran as a sequence (the spec names no `depends_on`).\n'
      : `Actions whose dependencies were done ran at once, up to ${run.spec.max_parallel ?? 4} at a time.\n`,
    `\`\`\`mermaid\n${stepTreeMermaid(tree, Object.fromEntries(run.actions.map((a) => [a.id, a.state])))}\n\`\`\`\n`,
  ];
}

function timelineSection(run: RunRecord): string[] {
  const table = ['| time (UTC) | action | state | duration | message |', '| --- | --- | --- | --- | --- |'];
  for (const e of run.timeline) {
    table.push(
      `| ${escapeMdxInline(e.at.slice(11, 23))} | ${e.action_id ? escapeMdxInline(e.action_id) : '(run)'} | ${e.state} | ${e.duration_ms ? seconds(e.duration_ms) : ''} | ${escapeMdxInline(e.message, 300)} |`,
    );
  }
  return ['## Timeline\n', ...tableFrame('Timeline', table)];
}

function logsSection(run: RunRecord, fitted: ReturnType<typeof truncateLogs>, fullLogName: string): string[] {
  const out: string[] = ['## Logs\n'];
  if (fitted.truncated) {
    out.push(
      `The logs are longer than this page holds; each is cut in the middle. The full text: [${escapeMdxInline(fullLogName)}](./${encodeURIComponent(fullLogName)}).\n`,
    );
  }
  run.actions.forEach((a, i) => {
    out.push(`### ${escapeMdxInline(a.id)} · ${escapeMdxInline(a.type)} · ${a.state}\n`);
    out.push(fitted.logs[i] ? `${codeBlock(fitted.logs[i]!)}\n` : '(no output)\n');
  });
  return out;
}

function artifactsSection(run: RunRecord, pageDir: string | undefined): string[] {
  if (run.artifacts.length === 0) return [];
  const out: string[] = ['## Artifacts\n'];
  for (const a of run.artifacts) {
    const link = pageDir ? relLink(pageDir, a.file) : undefined;
    const label = `${escapeMdxInline(a.action_id)}/${escapeMdxInline(a.name)}`;
    out.push(`- ${link ? `[${label}](${link})` : label} · ${a.size} bytes · sha256 ${a.sha256.slice(0, 12)}…`);
  }
  out.push('');
  return out;
}

function snapshotSection(run: RunRecord): string[] {
  return [
    '## Configuration snapshot\n',
    `The spec as run (defaults applied), digest ${escapeMdxInline(run.spec_digest)}. Secrets appear as references (env:NAME, file:/path); their values are never written here.\n`,
    `${codeBlock(redactedSnapshot(run.spec), 'yaml')}\n`,
  ];
}

function linksSection(run: RunRecord): string[] {
  const out: string[] = ['## Links\n'];
  if (run.api) {
    // /api paths are not site routes: plain text, so the site's broken-link check stays meaningful.
    out.push(`- Run in the API: \`${apiUrl(run.api, automationRoutes.run(run.run_id))}\``);
    out.push(`- Timeline: \`${apiUrl(run.api, automationRoutes.timeline(run.run_id))}\``);
  } else {
    out.push('- Not reported to an API (the run was started without --api).');
  }
  out.push(`- Runs of this project: [index](../index.mdx)`);
  out.push('');
  return out;
}

function warningsSection(run: RunRecord): string[] {
  if (run.warnings.length === 0) return [];
  const out: string[] = ['## Warnings\n'];
  for (const w of run.warnings) out.push(`- ${escapeMdxInline(w, 500)}`);
  out.push('');
  return out;
}

export interface WrittenRunPage {
  paths: RunPagePaths;
  /** Every file written or updated (for the commit). */
  files: string[];
  /** The index files among them: a rebase conflict there is resolved with regenerateRunIndex. */
  indexFiles: string[];
}

/** Writes the run page (and the full log when truncated), appends it to the project's index and rewrites the index pages. */
export function writeRunPage(
  run: RunRecord,
  opts: { docsRoot: string; maxLogBytes?: number } & RunIndexOptions,
): WrittenRunPage {
  const paths = runPagePaths(opts.docsRoot, run.project, run.run_id, run.started_at);
  fs.mkdirSync(paths.dayDir, { recursive: true });
  const rendered = renderRunPage(run, { maxLogBytes: opts.maxLogBytes, pageDir: paths.dayDir });
  fs.writeFileSync(paths.page, rendered.mdx);
  const files = [paths.page];
  if (rendered.fullLog !== undefined) {
    fs.writeFileSync(paths.fullLog, rendered.fullLog);
    files.push(paths.fullLog);
  }
  for (const a of run.artifacts) if (a.file.startsWith(paths.dayDir + path.sep)) files.push(a.file);
  appendRunIndex(paths.runsDir, {
    run_id: run.run_id,
    state: run.state,
    started: run.started_at,
    duration_s: Math.round(run.duration_ms / 100) / 10,
    deployment_id: run.deployment_id,
    product: `${run.product_code} ${run.product_version}`,
    file: `${path.basename(paths.dayDir)}/${run.run_id}.mdx`,
  });
  const indexFiles = writeRunIndex(opts.docsRoot, run.project, opts);
  files.push(...indexFiles);
  return { paths, files, indexFiles };
}

export { readRunIndex, renderRunIndex, writeRunIndex, type RunIndexEntry } from './run-index.ts';
