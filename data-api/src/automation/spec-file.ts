import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import {
  formatPath,
  validateExecutionSpec,
  type ExecutionSpec,
  type SpecIssue,
  type SpecRule,
} from '../contracts/execution-spec.ts';
import { locate } from '../kernel/validation/yaml-locate.ts';

/** One problem, positioned: printed as `file:line:column  message  rule-id` (like the runbook lint). */
export interface SpecDiagnostic {
  file: string;
  line: number;
  column: number;
  message: string;
  rule: SpecRule;
}

export type LoadedSpec =
  | { ok: true; file: string; spec: ExecutionSpec; raw: unknown; text: string }
  | { ok: false; file: string; diagnostics: SpecDiagnostic[] };

export function formatDiagnostic(d: SpecDiagnostic): string {
  return `${d.file}:${d.line}:${d.column}  ${d.message}  ${d.rule}`;
}

/** Parse YAML or JSON text (JSON is YAML) and validate it; every problem carries a position. */
export function parseSpecText(text: string, file: string): LoadedSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      file,
      diagnostics: doc.errors.map((e) => ({
        file,
        ...pos(e.pos[0]),
        message: `Unexpected YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        rule: 'spec/yaml' as const,
      })),
    };
  }
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const result = validateExecutionSpec(raw);
  if (result.ok) return { ok: true, file, spec: result.spec, raw, text };
  const diagnostics = result.issues.map((issue) => toDiagnostic(issue, doc, file, pos));
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, file, diagnostics };
}

export function loadSpecFile(file: string): LoadedSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      file,
      diagnostics: [
        {
          file,
          line: 1,
          column: 1,
          message:
            code === 'ENOENT'
              ? 'Unexpected missing file, expected an execution spec (YAML or JSON)'
              : `Cannot read the file: ${(err as Error).message}`,
          rule: 'spec/yaml',
        },
      ],
    };
  }
  return parseSpecText(text, file);
}

function toDiagnostic(
  issue: SpecIssue,
  doc: Document,
  file: string,
  pos: (offset: number) => { line: number; column: number },
): SpecDiagnostic {
  let message = issue.message;
  if (issue.related) {
    const first = pos(locate(doc, issue.related));
    message += ` (first at ${first.line}:${first.column})`;
  }
  // zod's own messages do not say where; ours (the other rules) already do.
  if (issue.rule === 'spec/schema' && issue.path.length > 0 && !message.startsWith('Missing field'))
    message = `${formatPath(issue.path)}: ${message}`;
  return { file, ...pos(locate(doc, issue.path)), message, rule: issue.rule };
}

/** JSON with object keys sorted at every level: the same spec always has the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `sha256:<hex>` of the canonical JSON of the validated spec (defaults applied). */
export function specDigest(spec: ExecutionSpec): string {
  return `sha256:${createHash('sha256').update(canonicalJson(spec)).digest('hex')}`;
}
