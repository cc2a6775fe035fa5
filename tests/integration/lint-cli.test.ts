// `fleetbook lint` as a user runs it (runbooks.md: "Any error fails the build and `fleetbook
// lint` (exit code 1), listing every problem of every file in one run, in the
// `file:line:column  message  rule-id` form … Warnings … are printed and do not fail").
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const FX = 'plugins/remark-runbook/__fixtures__';
const CATALOG = ['--products-dir', `${FX}/docs/products`];

describe('fleetbook lint', () => {
  it('has --help', async () => {
    const res = await runCli(['lint', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: fleetbook lint \[options\] \[paths\.\.\.\]/);
    expect(res.stdout).toContain('--format <format>');
  });

  it('clean runbooks: exit 0 and a summary line', async () => {
    const res = await runCli([
      'lint',
      ...CATALOG,
      `${FX}/schema/ok.mdx`,
      `${FX}/markdown.md`,
      `${FX}/task-list-mismatch/ok.mdx`,
    ]);
    expect(res).toEqual({ code: 0, stdout: '0 errors, 0 warnings\n', stderr: '' });
  });

  it('warnings only: printed, exit 0', async () => {
    const res = await runCli(['lint', ...CATALOG, `${FX}/missing-owner/not-ok.mdx`]);
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n')).toEqual([
      `${FX}/missing-owner/not-ok.mdx:2:1  warning: Missing \`owner\`, expected the team that owns this runbook, e.g. \`owner: ops\`  runbook/missing-owner`,
      '0 errors, 1 warning',
      '',
    ]);
  });

  it('errors: every problem of every file in one run, exit 1', async () => {
    const res = await runCli([
      'lint',
      ...CATALOG,
      `${FX}/duplicate-runbook-id/not-ok.mdx`,
      `${FX}/duplicate-runbook-id/first.mdx`,
      `${FX}/unknown-product/not-ok.mdx`,
      `${FX}/bad-yaml.mdx`,
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\n')).toEqual([
      `${FX}/bad-yaml.mdx:6:1  Unexpected YAML (Flow sequence in block collection must be sufficiently indented and end with a ]), expected valid YAML frontmatter  runbook/syntax`,
      `${FX}/duplicate-runbook-id/not-ok.mdx:2:5  Unexpected duplicate runbook id \`rb-fx-dup\`, expected an id unique across runbooks (first in ${FX}/duplicate-runbook-id/first.mdx:2:5)  runbook/duplicate-runbook-id`,
      `${FX}/unknown-product/not-ok.mdx:7:15  Unexpected product \`lorawan-gateway\`, expected one of \`lorawan-gw\`, \`pump-ctl\`  runbook/unknown-product`,
      '3 errors, 0 warnings',
      '',
    ]);
  });

  it('--format json', async () => {
    const res = await runCli(['lint', '--format', 'json', ...CATALOG, `${FX}/value-without-expect/not-ok.mdx`]);
    expect(res.code).toBe(1);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ files: [`${FX}/value-without-expect/not-ok.mdx`], errorCount: 1, warningCount: 0 });
    expect(out.messages).toEqual([
      {
        path: `${FX}/value-without-expect/not-ok.mdx`,
        line: 16,
        column: 19,
        endLine: 16,
        endColumn: 24,
        severity: 'error',
        ruleId: 'runbook/value-without-expect',
        reason: 'Unexpected `value` item `psu` without `expect`, expected `expect: { min, max, unit }`',
        url: '/docs/contracts/runbooks#runbookvalue-without-expect',
      },
    ]);
  });

  it('a path that does not exist: one line on stderr, exit 2', async () => {
    const res = await runCli(['lint', 'nope.mdx']);
    expect(res).toEqual({ code: 2, stdout: '', stderr: 'fleetbook: lint: no such file or folder: nope.mdx\n' });
  });

  it('an unknown --format is refused by the parser', async () => {
    const res = await runCli(['lint', '--format', 'xml']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("argument 'xml' is invalid. Allowed choices are text, json.");
  });

  it('any folder: a page whose frontmatter is broken or whose kind is unknown is an error, not a silent pass', async () => {
    const res = await runCli(['lint', ...CATALOG, `${FX}/pages`]);
    expect(res.code).toBe(1);
    expect(res.stdout.split('\n')).toEqual([
      `${FX}/pages/broken-yaml.md:4:1  Unexpected YAML (Flow sequence in block collection must be sufficiently indented and end with a ]), expected valid YAML frontmatter  page/frontmatter`,
      `${FX}/pages/kind-number.md:3:7  Unexpected kind \`7\`, expected one of \`runbook\`, \`sop\`, \`tutorial\`, \`prompt\`  page/unknown-kind`,
      `${FX}/pages/kind-typo.mdx:4:7  Unexpected kind \`runbok\`, expected one of \`runbook\`, \`sop\`, \`tutorial\`, \`prompt\` (did you mean \`runbook\`?)  page/unknown-kind`,
      '3 errors, 0 warnings',
      '',
    ]);
    // In a runbooks folder the runbook schema says the same about the kind.
    const named = await runCli(['lint', '--format', 'json', ...CATALOG, `${FX}/pages/kind-typo.mdx`]);
    expect(JSON.parse(named.stdout).messages.map((m: { reason: string }) => m.reason)).toContain(
      'Unexpected `runbok` for `kind`, expected one of `runbook`, `sop`, `tutorial` (did you mean `runbook`?)',
    );
  });
});
