// The lint core (`fleetbook lint`): every problem of every page in one run, in order, with
// positions; the awkward inputs (broken YAML, empty frontmatter, unicode, huge checklists).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatJson, formatText, LintUsageError, lintFiles } from '../lint.ts';

const FIXTURES = fileURLToPath(new URL('../__fixtures__/', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'remark-runbook-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function lint(files: string[], cwd = FIXTURES): Promise<string[]> {
  return formatText(await lintFiles(files, { cwd }))
    .trimEnd()
    .split('\n');
}

describe('lintFiles', () => {
  it('a page with several problems: all of them, sorted by position, errors and warnings', async () => {
    expect(await lint(['several-problems.mdx'])).toEqual([
      'several-problems.mdx:2:1  warning: Missing `estimated_minutes`, expected how long the runbook takes, e.g. `estimated_minutes: 90`  runbook/missing-estimate',
      'several-problems.mdx:2:1  warning: Missing `owner`, expected the team that owns this runbook, e.g. `owner: ops`  runbook/missing-owner',
      'several-problems.mdx:6:1  Unexpected key `colour`, expected one of `id`, `title`, `kind`, `version`, `owner`, `product_code`, `product_versions`, `estimated_minutes`, `requires`, `gates`, `track`, `step` or a Docusaurus doc key  runbook/schema',
      'several-problems.mdx:7:15  Unexpected product `nope`, expected one of `lorawan-gw`, `pump-ctl`  runbook/unknown-product',
      'several-problems.mdx:8:19  Unexpected semver range `>=2.0 <<3`, expected a range such as ">=2.0 <3" or "^1.4"  runbook/invalid-semver-range',
      'several-problems.mdx:9:12  Unexpected requires cycle `rb-fx-several` → `rb-fx-several`, expected runbooks that do not require each other in a loop  runbook/requires-cycle',
      'several-problems.mdx:9:27  Unexpected requires `rb-fx-nowhere`, expected the id of an existing runbook  runbook/missing-requires',
      'several-problems.mdx:13:15  Unexpected sign-off role `boss`, expected one of `viewer`, `operator`, `automation`, `admin`, `lead`  runbook/unknown-sign-off-role',
      'several-problems.mdx:17:19  Unexpected evidence kind `video`, expected one of `none`, `note`, `photo`, `file`, `link`, `value`  runbook/unknown-evidence-kind',
      "several-problems.mdx:18:13  Missing item `psu` in the body's task list, expected a line `- [ ] PSU output voltage \\{#psu\\}`  runbook/item-not-in-body",
      'several-problems.mdx:20:19  Unexpected `value` item `psu` without `expect`, expected `expect: { min, max, unit }`  runbook/value-without-expect',
      'several-problems.mdx:21:9  Unexpected duplicate gate id `g1`, expected unique gate ids (first at 11:9)  runbook/duplicate-gate-id',
      'several-problems.mdx:24:13  Unexpected duplicate item id `mount`, expected unique item ids in a runbook (first at 15:13)  runbook/duplicate-item-id',
      'several-problems.mdx:32:20  Unexpected task-list id `zz`, expected the id of a checklist item of the frontmatter  runbook/task-list-mismatch',
      'several-problems.mdx:33:1  Unexpected task-list item without an id, expected it to end with `\\{#id\\}` naming a checklist item of the frontmatter  runbook/task-list-mismatch',
      '13 errors, 2 warnings',
    ]);
  });

  it('bad YAML: one syntax error at the broken line, nothing guessed from the rest', async () => {
    expect(await lint(['bad-yaml.mdx'])).toEqual([
      'bad-yaml.mdx:6:1  Unexpected YAML (Flow sequence in block collection must be sufficiently indented and end with a ]), expected valid YAML frontmatter  runbook/syntax',
      '1 error, 0 warnings',
    ]);
  });

  it('empty frontmatter: every required key is missing, at the opening fence', async () => {
    expect(await lint(['empty-frontmatter.mdx'])).toEqual([
      'empty-frontmatter.mdx:1:1  warning: Missing `estimated_minutes`, expected how long the runbook takes, e.g. `estimated_minutes: 90`  runbook/missing-estimate',
      'empty-frontmatter.mdx:1:1  warning: Missing `owner`, expected the team that owns this runbook, e.g. `owner: ops`  runbook/missing-owner',
      'empty-frontmatter.mdx:1:1  Missing `gates`, expected a list of at least one gate (`id`, `title`, `checklist`)  runbook/schema',
      'empty-frontmatter.mdx:1:1  Missing `id`, expected a url-safe id (ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most 64 characters)  runbook/schema',
      'empty-frontmatter.mdx:1:1  Missing `kind`, expected one of `runbook`, `sop`, `tutorial`  runbook/schema',
      'empty-frontmatter.mdx:1:1  Missing `title`, expected a non-empty string  runbook/schema',
      'empty-frontmatter.mdx:1:1  Missing `version`, expected an integer ≥ 1 (bump it when the checklist changes)  runbook/schema',
      '5 errors, 2 warnings',
    ]);
  });

  it('no frontmatter at all', async () => {
    expect(await lint(['schema/no-frontmatter.mdx'])).toEqual([
      'schema/no-frontmatter.mdx:1:1  Missing frontmatter, expected a `---` block with runbook frontmatter v1 at the top of the page  runbook/schema',
      '1 error, 0 warnings',
    ]);
  });

  it('unicode: ids must be url-safe; columns count UTF-16 code units (as editors do) past emoji and accents', async () => {
    expect(await lint(['unicode.mdx'])).toEqual([
      'unicode.mdx:10:9  Unexpected `g1-électricité` for `gates[0].id`, expected a url-safe id (ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most 64 characters)  runbook/schema',
      'unicode.mdx:13:59  Unexpected evidence kind `vidéo`, expected one of `none`, `note`, `photo`, `file`, `link`, `value`  runbook/unknown-evidence-kind',
      "unicode.mdx:14:15  Missing item `mesure` in the body's task list, expected a line `- [ ] Tension mesurée ≈ 12 V \\{#mesure\\}`  runbook/item-not-in-body",
      'unicode.mdx:20:33  Unexpected task-list id `mesur`, expected the id of a checklist item of the frontmatter (did you mean `mesure`?)  runbook/task-list-mismatch',
      '4 errors, 0 warnings',
    ]);
    // 🔌 is two UTF-16 units: `vidéo` starts at JS string index 58 of its line.
    const line = fs.readFileSync(path.join(FIXTURES, 'unicode.mdx'), 'utf8').split('\n')[12]!;
    expect(line.indexOf('vidéo') + 1).toBe(59);
  });

  it('a .md page writes task ids unescaped: `{#id}`', async () => {
    expect(await lint(['markdown.md'])).toEqual(['0 errors, 0 warnings']);
  });

  it('an unescaped `{#id}` in MDX is a syntax error with a hint; the frontmatter is still checked', async () => {
    expect(await lint(['bad-mdx.mdx'])).toEqual([
      'bad-mdx.mdx:2:1  warning: Missing `owner`, expected the team that owns this runbook, e.g. `owner: ops`  runbook/missing-owner',
      'bad-mdx.mdx:17:20  Unexpected MDX (Could not parse expression with acorn), expected a valid MDX body (in MDX, write a task id as `\\{#id\\}`)  runbook/syntax',
      '1 error, 1 warning',
    ]);
  });

  it('every file of a run in one result, sorted by file then position', async () => {
    const out = await lint([
      'value-without-expect/not-ok.mdx',
      'duplicate-gate-id/not-ok.mdx',
      'missing-owner/not-ok.mdx',
    ]);
    expect(out).toEqual([
      'duplicate-gate-id/not-ok.mdx:17:9  Unexpected duplicate gate id `g1`, expected unique gate ids (first at 11:9)  runbook/duplicate-gate-id',
      'missing-owner/not-ok.mdx:2:1  warning: Missing `owner`, expected the team that owns this runbook, e.g. `owner: ops`  runbook/missing-owner',
      'value-without-expect/not-ok.mdx:16:19  Unexpected `value` item `psu` without `expect`, expected `expect: { min, max, unit }`  runbook/value-without-expect',
      '2 errors, 1 warning',
    ]);
  });

  it('folders: the runbooks folder (minus overview index and _partials) and docs pages that declare a runbook kind', async () => {
    const res = await lintFiles(['runbooks/', 'docs/'], { cwd: path.join(FIXTURES, 'simple-site') });
    expect(res.files).toEqual([
      'docs/tutorials/first-day/step-1.mdx',
      'docs/tutorials/first-day/step-2.mdx',
      'docs/weekly.mdx',
      'runbooks/pump-service.mdx',
    ]);
    expect(res.messages).toEqual([]);
  });

  it('cross-file context comes from the whole site even when one page is linted', async () => {
    // pump-service requires rb-site-weekly, defined in docs/weekly.mdx (not linted here).
    const res = await lintFiles(['runbooks/pump-service.mdx'], { cwd: path.join(FIXTURES, 'simple-site') });
    expect(res).toMatchObject({ files: ['runbooks/pump-service.mdx'], errorCount: 0, warningCount: 0 });
  });

  it('a path that does not exist is a usage error (exit code 2)', async () => {
    const err = await lintFiles(['nope.mdx'], { cwd: FIXTURES }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LintUsageError);
    expect(err).toMatchObject({ message: 'lint: no such file or folder: nope.mdx', exitCode: 2 });
  });

  it('--format json carries severity, rule id, positions, docs url and cause', async () => {
    const res = await lintFiles(['duplicate-item-id/not-ok.mdx', 'missing-owner/not-ok.mdx'], { cwd: FIXTURES });
    expect(JSON.parse(formatJson(res))).toEqual({
      files: ['duplicate-item-id/not-ok.mdx', 'missing-owner/not-ok.mdx'],
      messages: [
        {
          path: 'duplicate-item-id/not-ok.mdx',
          line: 20,
          column: 13,
          endLine: 20,
          endColumn: 18,
          severity: 'error',
          ruleId: 'runbook/duplicate-item-id',
          reason: 'Unexpected duplicate item id `first`, expected unique item ids in a runbook (first at 14:13)',
          url: '/docs/contracts/runbooks#runbookduplicate-item-id',
          cause: { path: 'duplicate-item-id/not-ok.mdx', line: 14, column: 13, reason: 'first defined here' },
        },
        {
          path: 'missing-owner/not-ok.mdx',
          line: 2,
          column: 1,
          endLine: 2,
          endColumn: 1,
          severity: 'warning',
          ruleId: 'runbook/missing-owner',
          reason: 'Missing `owner`, expected the team that owns this runbook, e.g. `owner: ops`',
          url: '/docs/contracts/runbooks#runbookmissing-owner',
        },
      ],
      errorCount: 1,
      warningCount: 1,
    });
  });
});

describe('tutorial tracks in docs/tutorials/<track>/', () => {
  it('a page sits in the folder of its track', async () => {
    const site = path.join(tmp, 'tutorial-site');
    const page = (track: string, step: number) =>
      [
        '---',
        `id: rb-t-${track}-${step}`,
        'title: T',
        'kind: tutorial',
        'version: 1',
        'owner: ops',
        'estimated_minutes: 5',
        `track: ${track}`,
        `step: ${step}`,
        'gates:',
        '  - id: g1',
        '    title: G',
        '    checklist:',
        '      - { id: done, text: Done, evidence: none }',
        '---',
        '',
      ].join('\n');
    fs.mkdirSync(path.join(site, 'docs/tutorials/first-day'), { recursive: true });
    fs.writeFileSync(path.join(site, 'docs/tutorials/first-day/a.mdx'), page('first-day', 1));
    fs.writeFileSync(path.join(site, 'docs/tutorials/first-day/b.mdx'), page('first-days', 2));
    fs.writeFileSync(path.join(site, 'docs/tutorials/loose.mdx'), page('loose', 1));
    expect(await lint(['docs/'], site)).toEqual([
      'docs/tutorials/first-day/b.mdx:8:8  Unexpected track `first-days`, expected `first-day` (the folder docs/tutorials/first-day/)  runbook/tutorial-step',
      'docs/tutorials/first-day/b.mdx:9:7  Unexpected step 2 in track `first-days`, expected step 1 (steps count 1, 2, 3… without gaps)  runbook/tutorial-step',
      'docs/tutorials/loose.mdx:8:8  Unexpected track `loose`, expected the page in its track folder docs/tutorials/loose/  runbook/tutorial-step',
      '3 errors, 0 warnings',
    ]);
  });
});

describe('a generated 5,000-item checklist', () => {
  const GATES = 50;
  const PER_GATE = 100;
  function write(name: string, mutate: (lines: string[]) => void = () => {}): { file: string; lines: string[] } {
    const lines = [
      '---',
      'id: rb-huge',
      'title: Huge',
      'kind: runbook',
      'version: 1',
      'owner: ops',
      'estimated_minutes: 600',
      'gates:',
    ];
    const body: string[] = ['', '# Huge', ''];
    for (let g = 0; g < GATES; g++) {
      lines.push(`  - id: g${g}`, `    title: Gate ${g}`, '    checklist:');
      for (let i = 0; i < PER_GATE; i++) {
        const id = `item-${g}-${i}`;
        lines.push(`      - { id: ${id}, text: "Step ${g}.${i}", evidence: none }`);
        body.push(`- [ ] Step ${g}.${i} \\{#${id}\\}`);
      }
    }
    lines.push('---', ...body, '');
    mutate(lines);
    const file = path.join(tmp, name);
    fs.writeFileSync(file, lines.join('\n'));
    return { file, lines };
  }

  // Speed is measured by the benchmark (bench/), not asserted here.
  it('is clean', { timeout: 120_000 }, async () => {
    const { file, lines } = write('huge.mdx');
    expect(lines.filter((l) => l.startsWith('- [ ]'))).toHaveLength(5000);
    const res = await lintFiles([file], { cwd: tmp });
    expect(res.messages).toEqual([]);
  });

  it(
    'a duplicate id near the end is found at its exact line, with the first one in the message',
    { timeout: 120_000 },
    async () => {
      const { file, lines } = write('huge-dup.mdx', (l) => {
        const at = l.indexOf('      - { id: item-49-98, text: "Step 49.98", evidence: none }');
        l[at] = '      - { id: item-0-0, text: "Step 49.98", evidence: none }';
      });
      const dupLine = lines.indexOf('      - { id: item-0-0, text: "Step 49.98", evidence: none }') + 1;
      const firstLine = lines.indexOf('      - { id: item-0-0, text: "Step 0.0", evidence: none }') + 1;
      expect(await lint([path.basename(file)], tmp)).toEqual([
        `huge-dup.mdx:${dupLine}:15  Unexpected duplicate item id \`item-0-0\`, expected unique item ids in a runbook (first at ${firstLine}:15)  runbook/duplicate-item-id`,
        `huge-dup.mdx:${lines.indexOf('- [ ] Step 49.98 \\{#item-49-98\\}') + 1}:18  Unexpected task-list id \`item-49-98\`, expected the id of a checklist item of the frontmatter (did you mean \`item-4-98\`?)  runbook/task-list-mismatch`,
        '2 errors, 0 warnings',
      ]);
    },
  );
});
