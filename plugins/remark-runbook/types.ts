// Shapes shared by the analysis, the rules and the reporters.
import type { Document } from 'yaml';
import type { Root } from 'mdast';
import type { ZodSafeParseResult } from 'zod';
import type { RunbookFrontmatter } from '../../data-api/src/contracts/runbook.ts';

export type Severity = 'error' | 'warning';

/** 1-based line and column, 0-based offset (unist convention). */
export interface Point {
  line: number;
  column: number;
  offset: number;
}
export interface Place {
  start: Point;
  end: Point;
}

export type DataPath = readonly (string | number)[];

export interface Frontmatter {
  /** Offset of the opening `---`. */
  fenceStart: number;
  /** Offset of the first character of the YAML text (the line after `---`). */
  start: number;
  /** The YAML text between the fences. */
  text: string;
  /** Parsed with positions (yaml's Document; ranges are offsets into `text`). */
  doc: Document.Parsed;
}

/** A body task-list item: `- [ ] text {#id}` (or `\{#id\}` in MDX). */
export interface TaskItem {
  id: string | null;
  text: string;
  place: Place;
  /** Where the `{#id}` marker is. */
  idPlace: Place | null;
}

export interface SyntaxProblem {
  reason: string;
  place: Place;
}

/** One analysed page: everything a rule needs, parsed once. */
export interface RunbookFile {
  /** Display path: relative to the site dir, `/` separators. */
  path: string;
  source: string;
  frontmatter: Frontmatter | null;
  /** The frontmatter as plain data (`{}` when empty); undefined when missing or unreadable. */
  data: unknown;
  /** The schema's verdict on `data`. */
  parsed: ZodSafeParseResult<RunbookFrontmatter> | null;
  /** Unreadable YAML or body. */
  syntax: SyntaxProblem[];
  /** Body task-list items; null when the body was not parsed (site scan, or broken MDX). */
  tasks: TaskItem[] | null;
  tree: Root | null;
  point(offset: number): Point;
  /** Where the value (or the key) at `path` is written; the nearest existing parent if missing. */
  locate(path: DataPath, target?: 'key' | 'value'): Place;
  /** Where the frontmatter starts (for problems about missing keys). */
  top(): Place;
}

export interface Cause {
  path: string;
  place: Place;
  reason: string;
}

export interface Report {
  reason: string;
  place: Place;
  cause?: Cause;
}

export interface FileRuleContext {
  file: RunbookFile;
  /** Product codes of the catalog, null when the catalog folder does not exist. */
  products: ReadonlySet<string> | null;
  productsDir: string;
  report(reason: string, place: Place, extra?: { cause?: Cause }): void;
}

export interface SiteRuleContext {
  /** Every runbook of the site (sorted by path): the first of two is the one that keeps its id. */
  files: readonly RunbookFile[];
  tutorialsDir: string;
  report(file: RunbookFile, reason: string, place: Place, extra?: { cause?: Cause }): void;
}

interface RuleBase {
  /** `runbook/<rule-id>` */
  id: string;
  severity: Severity;
  description: string;
}
export interface FileRule extends RuleBase {
  scope: 'file';
  check(ctx: FileRuleContext): void;
}
export interface SiteRule extends RuleBase {
  scope: 'site';
  check(ctx: SiteRuleContext): void;
}
export type Rule = FileRule | SiteRule;

/** One problem, ready for a reporter. */
export interface LintMessage {
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  ruleId: string;
  reason: string;
  url: string;
  cause?: { path: string; line: number; column: number; reason: string };
}
