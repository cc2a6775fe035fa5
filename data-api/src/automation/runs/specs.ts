// Execution specs the API reads: a queued run names a file under automation/specs/ (read from
// the API's checkout of the repository) or carries the spec inline. Either way the spec is
// validated with the one schema (contracts/execution-spec.ts) and stored as run.
import fs from 'node:fs';
import path from 'node:path';
import { SPEC_DIR, SPEC_PATH_PATTERN, type SpecFile } from '../../contracts/automation-runs.ts';
import {
  formatPath as formatSpecPath,
  validateExecutionSpec,
  type ExecutionSpec,
} from '../../contracts/execution-spec.ts';
import { formatDiagnostic, loadSpecFile } from '../spec-file.ts';
import { validationError, type ValidationIssue } from '../../kernel/errors/index.ts';

/** A validated inline spec, or 400 naming each problem by its path under `at` (e.g. `body.spec`). */
export function validateInlineSpec(raw: unknown, at: string): ExecutionSpec {
  const result = validateExecutionSpec(raw);
  if (result.ok) return result.spec;
  const issues: ValidationIssue[] = result.issues.map((i) => ({
    path: i.path.length ? `${at}.${formatSpecPath(i.path)}`.replace(/\.\[/g, '[') : at,
    message: `${i.message} (${i.rule})`,
  }));
  throw validationError(issues);
}

/** `automation/specs/…` → an absolute file inside `root`, or 400 at `at`. */
export function resolveSpecPath(root: string, specPath: string, at: string): string {
  const base = path.resolve(root, SPEC_DIR);
  const file = path.resolve(root, specPath);
  if (!SPEC_PATH_PATTERN.test(specPath) || !file.startsWith(base + path.sep)) {
    throw validationError([
      {
        path: at,
        message: `expected a repository path under ${SPEC_DIR}/ ending in .yaml, .yml or .json (got ${JSON.stringify(specPath)})`,
      },
    ]);
  }
  // A symlink must not lead out of the folder either.
  try {
    const real = fs.realpathSync(file);
    if (!real.startsWith(fs.realpathSync(base) + path.sep))
      throw validationError([{ path: at, message: `${specPath} points outside ${SPEC_DIR}/` }]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw validationError([
        {
          path: at,
          message: `no spec file ${specPath} in the repository the API serves (${SPEC_DIR}/ holds the specs; list them with GET /api/v1/automation-specs)`,
        },
      ]);
    }
    throw err;
  }
  return file;
}

/** Reads and validates a spec file of the repository; problems come back as `file:line:column  message  rule`. */
export function loadRepoSpec(root: string, specPath: string, at: string): ExecutionSpec {
  const file = resolveSpecPath(root, specPath, at);
  const loaded = loadSpecFile(file);
  if (loaded.ok) return loaded.spec;
  throw validationError(
    loaded.diagnostics.map((d) => ({ path: at, message: formatDiagnostic({ ...d, file: specPath }) })),
  );
}

/** Every spec file under automation/specs/, valid or not, optionally only those for one deployment. */
export function listSpecFiles(root: string, deploymentId?: string): SpecFile[] {
  const base = path.join(root, SPEC_DIR);
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(base, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  const out: SpecFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const abs = path.join(entry.parentPath, entry.name);
    const rel = path.relative(root, abs).split(path.sep).join('/');
    if (!SPEC_PATH_PATTERN.test(rel)) continue;
    const loaded = loadSpecFile(abs);
    if (loaded.ok) {
      const s = loaded.spec;
      if (deploymentId && s.deployment_id !== deploymentId) continue;
      out.push({
        path: rel,
        valid: true,
        project: s.project,
        deployment_id: s.deployment_id,
        product_code: s.product_code,
        product_version: s.product_version,
        actions: s.actions.map((a) => ({ id: a.id, type: a.type })),
        problems: [],
      });
    } else {
      const raw = loaded.diagnostics;
      // An invalid file still says which deployment it is for when it can.
      const text = fs.readFileSync(abs, 'utf8');
      const dep = /^deployment_id:\s*["']?([\w.-]+)/m.exec(text)?.[1] ?? null;
      if (deploymentId && dep !== deploymentId) continue;
      out.push({
        path: rel,
        valid: false,
        project: /^project:\s*["']?([\w.-]+)/m.exec(text)?.[1] ?? null,
        deployment_id: dep,
        product_code: null,
        product_version: null,
        actions: [],
        problems: raw.map((d) => formatDiagnostic({ ...d, file: rel })),
      });
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
