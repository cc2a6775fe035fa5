import {
  AUTO_CHECK_PROBES,
  EVIDENCE_KINDS,
  EXPECT_KEYS,
  GATE_KEYS,
  ITEM_KEYS,
  RUNBOOK_ID_RULE,
  RUNBOOK_KEYS,
  RUNBOOK_KINDS,
  SIGN_OFF_ROLES,
} from '../../../data-api/src/contracts/runbook.ts';
import { knownKeysOf } from '../../../data-api/src/contracts/unknown-keys.ts';
import type { FileRule } from '../types.ts';
import { didYouMean, isObj, list, pathText, q } from './util.ts';

/** What each field expects, for "…, expected Y" (by key; `[]` = an element of that list). */
const EXPECTED: Record<string, string> = {
  '': 'a mapping of keys (runbook frontmatter v1)',
  id: RUNBOOK_ID_RULE,
  title: 'a non-empty string',
  kind: `one of ${list(RUNBOOK_KINDS)}`,
  version: 'an integer ≥ 1 (bump it when the checklist changes)',
  owner: 'the owning team, e.g. `ops`',
  product_code: 'a product code of the catalog, e.g. `lorawan-gw`',
  product_versions: 'a semver range as a quoted string, e.g. ">=2.0 <3"',
  estimated_minutes: 'an integer ≥ 1 (minutes)',
  requires: 'a list of runbook ids, e.g. `[rb-site-survey]`',
  'requires[]': RUNBOOK_ID_RULE,
  gates: 'a list of at least one gate (`id`, `title`, `checklist`)',
  'gates[]': 'a gate: a mapping with `id`, `title`, `checklist`',
  track: 'the tutorial track, e.g. `first-day`',
  step: 'an integer ≥ 1 (the position in the track)',
  sign_off: `one of ${list(SIGN_OFF_ROLES)}`,
  checklist: 'a list of at least one item (`id`, `text`, `evidence`)',
  'checklist[]': 'an item: a mapping with `id`, `text`, `evidence`',
  text: 'a non-empty string',
  evidence: `one of ${list(EVIDENCE_KINDS)}`,
  expect: 'a mapping `{ min, max, unit }`',
  auto_check: `a mapping with one probe: ${list(AUTO_CHECK_PROBES)}`,
  min: 'a number',
  max: 'a number',
  unit: 'a unit, e.g. `V`',
  udp: '`host:port`',
  tcp: '`host:port`',
  http: 'a URL',
  mqtt: 'an MQTT topic',
  device_up: 'a device id',
};

function fieldKey(path: readonly PropertyKey[]): string {
  const last = path[path.length - 1];
  if (last === undefined) return '';
  if (typeof last === 'number') return `${String(path[path.length - 2])}[]`;
  return String(last);
}

function allowedKeys(path: readonly PropertyKey[]): { keys: readonly string[]; extra: string } {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (path.length === 0) return { keys: RUNBOOK_KEYS, extra: ' or a Docusaurus doc key' };
  if (typeof last === 'number' && parent === 'gates') return { keys: GATE_KEYS, extra: '' };
  if (typeof last === 'number' && parent === 'checklist') return { keys: ITEM_KEYS, extra: '' };
  if (last === 'expect') return { keys: EXPECT_KEYS, extra: '' };
  if (last === 'auto_check') return { keys: AUTO_CHECK_PROBES, extra: '' };
  return { keys: [], extra: '' };
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const seg of path) {
    if (Array.isArray(v) && typeof seg === 'number') v = v[seg];
    else if (isObj(v)) v = v[String(seg)];
    else return undefined;
  }
  return v;
}

/** Issues another rule reports with its own id. */
function ownedElsewhere(
  issue: { code: string; path: readonly PropertyKey[]; params?: unknown },
  value: unknown,
): boolean {
  if (isObj(issue.params) && typeof issue.params.rule === 'string') return true;
  const key = issue.path[issue.path.length - 1];
  return issue.code === 'invalid_value' && (key === 'evidence' || key === 'sign_off') && value !== undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'empty value';
  if (value === '') return 'empty string';
  if (Array.isArray(value)) return value.length ? 'list' : 'empty list';
  if (isObj(value)) return 'mapping';
  return q(value);
}

export const schema: FileRule = {
  id: 'runbook/schema',
  severity: 'error',
  scope: 'file',
  description: 'The frontmatter matches runbook frontmatter v1: known keys, right types, required keys present.',
  check({ file, report }) {
    if (!file.frontmatter) {
      report(
        'Missing frontmatter, expected a `---` block with runbook frontmatter v1 at the top of the page',
        file.top(),
      );
      return;
    }
    if (!file.parsed || file.parsed.success) return;
    for (const issue of file.parsed.error.issues) {
      const value = valueAt(file.data, issue.path);
      if (ownedElsewhere(issue, value)) continue;
      const where = pathText(issue.path);
      if (issue.code === 'unrecognized_keys') {
        const { keys, extra } = allowedKeys(issue.path);
        const inWhat = where ? ` in \`${where}\`` : '';
        for (const key of issue.keys) {
          report(
            `Unexpected key \`${key}\`${inWhat}, expected one of ${list(keys)}${extra}${didYouMean(key, knownKeysOf(issue))}`,
            file.locate([...(issue.path as (string | number)[]), key], 'key'),
          );
        }
        continue;
      }
      const place = file.locate(issue.path as (string | number)[]);
      if (issue.code === 'custom') {
        report(issue.message, place);
        continue;
      }
      const expected = EXPECTED[fieldKey(issue.path)] ?? issue.message;
      if (value === undefined) report(`Missing \`${where}\`, expected ${expected}`, place);
      else if (issue.code === 'too_small' && Array.isArray(value) && value.length === 0)
        report(`Unexpected empty \`${where}\`, expected ${expected}`, place);
      else {
        // A typo of one of the allowed values (`kind: runbok`) says which it likely meant.
        const values = issue.code === 'invalid_value' ? (issue as { values?: unknown[] }).values : undefined;
        const hint = typeof value === 'string' && values ? didYouMean(value, values.map(String)) : '';
        report(`Unexpected ${describe(value)} for \`${where}\`, expected ${expected}${hint}`, place);
      }
    }
  },
};
