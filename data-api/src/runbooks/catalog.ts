// The runbook catalog: the frontmatter of `runbooks/**` pages and of docs pages that declare a
// runbook `kind`, validated with the ONE schema (contracts/runbook.ts) through the lint's own
// site scan (plugins/remark-runbook/site.ts), so the API and the build agree on what a runbook
// is. Files are re-read only when their mtime or size changed: an edited runbook is picked up
// at the next execution start without a restart.
import path from 'node:path';
import { SiteIndex } from '../../../plugins/remark-runbook/site.ts';
import type { RunbookFrontmatter } from '../contracts/runbook.ts';
import type { RunbookInfo } from '../contracts/executions.ts';
import { PROJECT_ROOT } from '../kernel/paths.ts';

export interface CatalogDirs {
  runbooksDir: string;
  docsDir: string;
  productsDir: string;
}

const DEFAULT_DIRS: CatalogDirs = { runbooksDir: 'runbooks', docsDir: 'docs', productsDir: 'docs/products' };

/** A runbook page that does not pass the schema: skipped by the API (the build and `fleetbook lint` name the problem). */
export interface CatalogProblem {
  path: string;
  message: string;
}

/**
 * The page URL Docusaurus gives a runbook: the folder of the file under the instance's
 * route base, then the frontmatter id (or `slug`). Number prefixes (`01-`) are dropped like
 * Docusaurus does.
 */
export function runbookUrl(
  relPath: string,
  fm: Pick<RunbookFrontmatter, 'id'> & { slug?: unknown },
  dirs: CatalogDirs = DEFAULT_DIRS,
): string {
  const parts = relPath.split('/');
  parts.pop();
  const strip = (s: string) => s.replace(/^\d+[-_.]/, '');
  const rb = dirs.runbooksDir.replace(/^\.\//, '').replace(/\/+$/, '');
  const docs = dirs.docsDir.replace(/^\.\//, '').replace(/\/+$/, '');
  let base: string;
  let rest: string[];
  if (relPath.startsWith(`${rb}/`)) {
    base = '/runbooks';
    rest = parts.slice(rb.split('/').length);
  } else {
    base = '/docs';
    rest = relPath.startsWith(`${docs}/`) ? parts.slice(docs.split('/').length) : parts;
  }
  const slug = typeof fm.slug === 'string' && fm.slug.trim() ? fm.slug.trim() : null;
  if (slug?.startsWith('/')) return `${base}${slug === '/' ? '' : slug.replace(/\/+$/, '')}`;
  return [base, ...rest.map(strip), slug ?? fm.id].join('/');
}

function toInfo(relPath: string, fm: RunbookFrontmatter, dirs: CatalogDirs): RunbookInfo {
  return {
    id: fm.id,
    title: fm.title,
    kind: fm.kind,
    version: fm.version,
    owner: fm.owner ?? null,
    product_code: fm.product_code ?? null,
    product_versions: fm.product_versions ?? null,
    estimated_minutes: fm.estimated_minutes ?? null,
    requires: fm.requires,
    track: fm.track ?? null,
    step: fm.step ?? null,
    path: relPath,
    url: runbookUrl(relPath, fm as RunbookFrontmatter & { slug?: unknown }, dirs),
    gates: fm.gates,
  };
}

export class RunbookCatalog {
  private readonly index: SiteIndex;

  constructor(
    readonly root: string = PROJECT_ROOT,
    readonly dirs: CatalogDirs = DEFAULT_DIRS,
  ) {
    this.index = new SiteIndex(path.resolve(root), dirs);
  }

  /** Every valid runbook, SOP and tutorial step, by path; the first of a duplicated id wins. */
  scan(): { runbooks: RunbookInfo[]; problems: CatalogProblem[] } {
    const runbooks: RunbookInfo[] = [];
    const problems: CatalogProblem[] = [];
    const seen = new Set<string>();
    for (const file of this.index.files()) {
      if (!file.parsed) {
        problems.push({ path: file.path, message: 'no readable frontmatter' });
        continue;
      }
      if (!file.parsed.success) {
        const issue = file.parsed.error.issues[0]!;
        problems.push({ path: file.path, message: `${issue.path.join('.') || '(frontmatter)'}: ${issue.message}` });
        continue;
      }
      const fm = file.parsed.data;
      if (seen.has(fm.id)) {
        problems.push({ path: file.path, message: `duplicate runbook id ${fm.id}` });
        continue;
      }
      seen.add(fm.id);
      runbooks.push(toInfo(file.path, fm, this.dirs));
    }
    return { runbooks, problems };
  }

  list(): RunbookInfo[] {
    return this.scan().runbooks;
  }

  get(id: string): RunbookInfo | null {
    return this.list().find((r) => r.id === id) ?? null;
  }

  /** Tutorial tracks: `track` → its steps in order. */
  tracks(): Map<string, RunbookInfo[]> {
    const out = new Map<string, RunbookInfo[]>();
    for (const r of this.list()) {
      if (r.kind !== 'tutorial' || r.track === null || r.step === null) continue;
      const list = out.get(r.track) ?? [];
      list.push(r);
      out.set(r.track, list);
    }
    for (const list of out.values()) list.sort((a, b) => a.step! - b.step!);
    return new Map([...out.entries()].sort((a, b) => a[0].localeCompare(b[0])));
  }
}

const catalogs = new Map<string, RunbookCatalog>();

/** One catalog per site root for the process (the scan cache is shared by every request). */
export function runbookCatalog(root: string = PROJECT_ROOT): RunbookCatalog {
  const key = path.resolve(root);
  let c = catalogs.get(key);
  if (!c) catalogs.set(key, (c = new RunbookCatalog(key)));
  return c;
}
