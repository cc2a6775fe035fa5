// Compose files checked against the Compose Specification's own JSON Schema (compose-spec.json,
// vendored under tests/fixtures/peers/compose-spec with its licence), the schema `docker compose`
// itself validates with. Each problem names the file, the line, the path and the reason.
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import YAML, { isMap, isScalar, LineCounter } from 'yaml';

const SCHEMA_FILE = path.join(import.meta.dirname, '..', 'fixtures', 'peers', 'compose-spec', 'compose-spec.json');

let compiled: ReturnType<Ajv['compile']> | undefined;
function validator() {
  // The schema is draft-07 with `deprecated` annotations: not strict, and its $schema URL is not
  // fetched (validateSchema off); every error is reported.
  compiled ??= new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(
    JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')),
  );
  return compiled;
}

export interface ComposeProblem {
  line: number;
  path: string;
  message: string;
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties')
    return `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum')
    return `${e.message}: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return e.message ?? e.keyword;
}

/** The compose-spec problems of one YAML text (empty: valid). */
export function checkComposeText(text: string): { value: unknown; problems: ComposeProblem[] } {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter });
  if (doc.errors.length) {
    return {
      value: undefined,
      problems: doc.errors.map((e) => ({
        line: e.linePos?.[0]?.line ?? 1,
        path: '',
        message: e.message.split('\n')[0]!,
      })),
    };
  }
  const value = doc.toJS();
  const validate = validator();
  if (validate(value)) return { value, problems: [] };
  const seen = new Set<string>();
  const problems: ComposeProblem[] = [];
  for (const e of validate.errors ?? []) {
    const segments = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    const keys = segments.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    // An unknown key is pointed at itself; anything else at its value.
    const target = keys.length ? doc.getIn(keys, true) : doc.contents;
    let node = target as { range?: [number, number, number] | null } | undefined;
    if (e.keyword === 'additionalProperties' && isMap(target)) {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      const key = target.items.map((p) => p.key).find((k) => isScalar(k) && k.value === name);
      if (isScalar(key)) node = key;
    }
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : 1;
    const problem = { line, path: segments.join('.') || '(root)', message: describe(e) };
    const key = JSON.stringify(problem);
    if (!seen.has(key)) problems.push(problem);
    seen.add(key);
  }
  return { value, problems };
}

export function formatComposeProblem(file: string, p: ComposeProblem): string {
  return `${file}:${p.line} ${p.path}: ${p.message}`;
}
