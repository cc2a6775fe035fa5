import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VFile } from 'vfile';
import { formatLine } from '../../remark-runbook/report.ts';
import remarkLibrary from '../index.ts';
import { lintLibrary } from '../lint.ts';

// Issue 15: product pages (datasheets as files: a missing file is a lint error) and prompt pages
// (id, purpose, inputs with types, products, version) are checked by the plugin family, with
// rule ids and positions, in the `file:line:column  message  rule-id` form.
const site = path.join(__dirname, '..', '__fixtures__', 'library-site');

describe('remark-library rules (fleetbook lint over a small site)', () => {
  it('a valid product page and a valid prompt page have nothing to say', async () => {
    const result = await lintLibrary(['docs/products/gadget/index.mdx', 'docs/prompts/ok.mdx'], { cwd: site });
    expect(result.files).toEqual(['docs/products/gadget/index.mdx', 'docs/prompts/ok.mdx']);
    expect(result.messages.map(formatLine)).toEqual([]);
  });

  it('reports every problem of every page with its position and rule id', async () => {
    const result = await lintLibrary(['docs/'], { cwd: site });
    expect(result.files).toEqual([
      'docs/products/broken/index.mdx',
      'docs/products/gadget/index.mdx',
      'docs/prompts/no-prompt.mdx',
      'docs/prompts/not-ok.mdx',
      'docs/prompts/ok.mdx',
      'docs/templates/no-block.mdx',
      'docs/templates/not-ok.mdx',
    ]);
    expect(result.messages.map(formatLine)).toEqual([
      'docs/products/broken/index.mdx:5:11  Unexpected `toaster` for `category`, expected one of "lorawan"|"rfid"|"firmware-only"|"gateway"|"other"  product/schema',
      'docs/products/broken/index.mdx:6:1  Unexpected key `metric`, expected one of `title`, `product_code`, `name`, `category`, `summary`, `role`, `heartbeat_interval_s`, `statuses`, `currency`, `metrics`, `commands`, `versions` or a Docusaurus doc key (did you mean `metrics`?)  product/schema',
      'docs/products/broken/index.mdx:11:26  Unexpected `0` for `versions[0].bom[0].qty`, Too small: expected number to be >=1  product/schema',
      'docs/products/broken/index.mdx:11:29  Unexpected key `unit_cots` in `versions[0].bom[0]`, expected a key of the contract (did you mean `unit_cost`?)  product/schema',
      'docs/products/broken/index.mdx:13:33  Unexpected datasheet `/datasheets/missing.pdf`: no file static/datasheets/missing.pdf, expected the datasheet under static/  product/missing-datasheet',
      'docs/prompts/no-prompt.mdx:2:1  Missing prompt text, expected a ```prompt code block in the body  prompt/missing-prompt',
      'docs/prompts/no-prompt.mdx:6:10  Unexpected `one` for `version`, expected number, received string  prompt/schema',
      'docs/prompts/not-ok.mdx:2:5  Unexpected duplicate prompt id `prompt-not-ok`, expected each id once (first in docs/prompts/no-prompt.mdx:2:5)  prompt/duplicate-id',
      'docs/prompts/not-ok.mdx:7:20  Unexpected product `warp-drive`, expected one of `broken`, `gadget` or `*`  prompt/unknown-product',
      'docs/prompts/not-ok.mdx:10:13  warning: Unexpected unused input `unused`, expected `{{unused}}` in the prompt text  prompt/unused-input',
      'docs/prompts/not-ok.mdx:16:24  Unexpected input `{{sensor}}`, expected one of the declared inputs `device`, `unused`  prompt/undeclared-input',
      'docs/templates/no-block.mdx:2:1  Missing template, expected the page to create in a ````mdx block (four backticks)  template/missing-template',
      'docs/templates/not-ok.mdx:5:9  Unexpected `customer` for `needs[0]`, expected one of "product"|"project"  template/schema',
      'docs/templates/not-ok.mdx:15:17  Unexpected variable `colour`, expected one of `title`, `title_yaml`, `slug`, `id`, `date`, `number`, `owner`, `product`, `product_name`, `product_versions`, `product_versions_text`, `project`, `supply`  template/unknown-variable',
    ]);
    expect(result.errorCount).toBe(13);
    expect(result.warningCount).toBe(1);
    const dup = result.messages.find((m) => m.ruleId === 'prompt/duplicate-id')!;
    expect(dup.cause).toEqual({ path: 'docs/prompts/no-prompt.mdx', line: 2, column: 5, reason: 'first defined here' });
    expect(dup.url).toBe('/docs/contracts/library#promptduplicate-id');
  });

  it('fails the site build on an error, with the lint output as the message', async () => {
    const { unified } = await import('unified');
    const remarkParse = (await import('remark-parse')).default;
    const remarkFrontmatter = (await import('remark-frontmatter')).default;
    const remarkMdx = (await import('remark-mdx')).default;
    const processor = unified()
      .use(remarkParse)
      .use(remarkFrontmatter, ['yaml'])
      .use(remarkMdx)
      .use(remarkLibrary, { siteDir: site });
    const file = (rel: string) =>
      new VFile({ path: path.join(site, rel), cwd: site, value: fs.readFileSync(path.join(site, rel), 'utf8') });
    await expect(
      processor.run(processor.parse(file('docs/products/gadget/index.mdx')), file('docs/products/gadget/index.mdx')),
    ).resolves.toBeDefined();
    const broken = file('docs/products/broken/index.mdx');
    await expect(processor.run(processor.parse(broken), broken)).rejects.toThrow(
      /library lint failed:\ndocs\/products\/broken\/index\.mdx:5:11 {2}Unexpected `toaster`[\s\S]*5 errors, 0 warnings/,
    );
  });

  it('a missing datasheet is found as soon as the file goes', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-library-'));
    try {
      fs.cpSync(site, copy, { recursive: true });
      expect((await lintLibrary(['docs/products/gadget/index.mdx'], { cwd: copy })).errorCount).toBe(0);
      fs.rmSync(path.join(copy, 'static', 'datasheets', 'gadget.pdf'));
      const after = await lintLibrary(['docs/products/gadget/index.mdx'], { cwd: copy });
      expect(after.messages.map((m) => `${m.line}:${m.column} ${m.ruleId}`)).toEqual([
        '12:38 product/missing-datasheet',
      ]);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('the handbook’s own product and prompt pages are clean', async () => {
    const root = path.join(__dirname, '..', '..', '..');
    const result = await lintLibrary(['docs/'], { cwd: root });
    expect(result.files).toContain('docs/products/pump-ctl/index.mdx');
    expect(result.files).toContain('docs/prompts/pump-ctl/sensor-driver.mdx');
    expect(result.messages.map(formatLine)).toEqual([]);
  });
});
