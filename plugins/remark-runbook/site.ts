// The site as the cross-file rules see it: every runbook page (frontmatter only) and the
// product catalog. Scanned from disk; a page is re-read only when its mtime or size changed,
// so one index serves a whole build (and a dev server's rebuilds) cheaply.
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { analyzeFile, isRunbookPage, splitFrontmatter } from './analyze.ts';
import type { RunbookFile } from './types.ts';

const PAGE = /\.mdx?$/;

/** `runbooks/a.mdx`: relative to the site dir, `/` separators. */
export function displayPath(siteDir: string, abs: string): string {
  return path.relative(siteDir, abs).split(path.sep).join('/');
}

/** .md/.mdx files under `dir`, sorted; skips node_modules and dot folders. Missing dir → []. */
export function listPages(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listPages(p));
    else if (e.isFile() && PAGE.test(e.name)) out.push(p);
  }
  return out.sort();
}

interface Cached<T> {
  mtimeMs: number;
  size: number;
  value: T;
}

function readCached<T>(cache: Map<string, Cached<T>>, abs: string, make: (source: string) => T): T | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    cache.delete(abs);
    return undefined;
  }
  const hit = cache.get(abs);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.value;
  const value = make(fs.readFileSync(abs, 'utf8'));
  cache.set(abs, { mtimeMs: st.mtimeMs, size: st.size, value });
  return value;
}

export interface SiteDirs {
  runbooksDir: string;
  docsDir: string;
  productsDir: string;
}

export class SiteIndex {
  private pages = new Map<string, Cached<RunbookFile | null>>();
  private catalog = new Map<string, Cached<string | null>>();

  constructor(
    readonly siteDir: string,
    readonly dirs: SiteDirs,
  ) {}

  private scan: { at: number; files: RunbookFile[] } | null = null;

  /**
   * Every runbook page of the site (runbooks folder + docs pages declaring a runbook kind).
   * `maxAgeMs`: reuse the last scan (the same array) when it is younger than that — a build
   * compiles thousands of pages a second, and listing and stat-ing the whole site for each of
   * them made the cross-file rules quadratic in the number of pages.
   */
  files(options: { maxAgeMs?: number } = {}): RunbookFile[] {
    const now = Date.now();
    if (options.maxAgeMs && this.scan && now - this.scan.at < options.maxAgeMs) return this.scan.files;
    const abs = new Set([
      ...listPages(path.resolve(this.siteDir, this.dirs.runbooksDir)),
      ...listPages(path.resolve(this.siteDir, this.dirs.docsDir)),
    ]);
    const out: RunbookFile[] = [];
    for (const p of abs) {
      const rel = displayPath(this.siteDir, p);
      const file = readCached(this.pages, p, (source) =>
        isRunbookPage(rel, source, this.dirs.runbooksDir) ? analyzeFile(rel, source) : null,
      );
      if (file) out.push(file);
    }
    this.scan = { at: now, files: out };
    return out;
  }

  /**
   * Puts a page that was just analysed (with its body) into the scan cache, so the next
   * `files()` does not read and parse it again (`fleetbook lint`: pass 2 after pass 1).
   */
  prime(abs: string, file: RunbookFile): void {
    try {
      const st = fs.statSync(abs);
      this.pages.set(abs, { mtimeMs: st.mtimeMs, size: st.size, value: file });
    } catch {
      this.pages.delete(abs);
    }
  }

  /** Product codes: `product_code` of `<productsDir>/<dir>/index.md(x)`; null when the folder is missing. */
  products(): Set<string> | null {
    const dir = path.resolve(this.siteDir, this.dirs.productsDir);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return null;
    }
    const codes = new Set<string>();
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      for (const name of ['index.mdx', 'index.md']) {
        const code = readCached(this.catalog, path.join(dir, e.name, name), productCodeOf);
        if (code) codes.add(code);
      }
    }
    return codes;
  }
}

function productCodeOf(source: string): string | null {
  const fm = splitFrontmatter(source);
  if (!fm) return null;
  const doc = parseDocument(source.slice(fm.start, fm.end));
  if (doc.errors.length) return null;
  const code = doc.get('product_code');
  return typeof code === 'string' && code.trim() ? code : null;
}

const indexes = new Map<string, SiteIndex>();

/** One index per site and folder layout, shared by the docs and runbooks instances of a build. */
export function siteIndex(siteDir: string, dirs: SiteDirs): SiteIndex {
  const key = JSON.stringify([siteDir, dirs.runbooksDir, dirs.docsDir, dirs.productsDir]);
  let index = indexes.get(key);
  if (!index) indexes.set(key, (index = new SiteIndex(siteDir, dirs)));
  return index;
}
