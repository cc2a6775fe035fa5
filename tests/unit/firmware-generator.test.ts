import { describe, expect, it } from 'vitest';
import { cDouble, cIdentifier, cNames, cString, type CNameMapping } from '../../firmware/generator/c-names.ts';
import { firmwareModel } from '../../firmware/generator/model.ts';
import { render, TemplateError } from '../../firmware/generator/render.ts';
import type { ProductFrontmatter } from '../../data-api/src/contracts/catalog.ts';

describe('the scaffold’s template language', () => {
  it('fills values, repeats sections per element, and keeps standalone section lines out', () => {
    const text = 'enum {\n{{#items}}\n  {{name}} = {{index}},\n{{/items}}\n};\n{{^items}}\nnone\n{{/items}}\n';
    expect(
      render(text, {
        items: [
          { name: 'A', index: 0 },
          { name: 'B', index: 1 },
        ],
      }),
    ).toBe('enum {\n  A = 0,\n  B = 1,\n};\n');
    expect(render(text, { items: [] })).toBe('enum {\n};\nnone\n');
  });

  it('reads dotted paths and the enclosing scope, and treats a truthy scalar as a condition', () => {
    expect(render('{{#list}}{{a.b}}{{top}}{{.}}|{{/list}}', { top: '!', a: { b: 'x' }, list: ['1', '2'] })).toBe(
      'x!1|x!2|',
    );
    expect(render('{{#n}}yes{{/n}}{{^n}}no{{/n}}', { n: 3 })).toBe('yes');
    expect(render('{{first.0.name}}', { first: [{ name: 'head' }] })).toBe('head');
  });

  it('refuses a name without a value and an unclosed section, naming the file', () => {
    expect(() => render('{{missing}}', {}, 'core/x.tmpl')).toThrow(
      new TemplateError('core/x.tmpl: {{missing}} has no value'),
    );
    expect(() => render('{{#a}}open', { a: true }, 'y.tmpl')).toThrow('y.tmpl: {{#a}} is never closed');
    expect(() => render('{{/a}}', {}, 'z.tmpl')).toThrow('z.tmpl: {{/a}} without its opening tag');
  });
});

describe('catalog names → C', () => {
  it('keeps identifiers, maps keywords, reserved names and other characters, and says why', () => {
    expect(cIdentifier('flow_lpm')).toEqual({ c_name: 'flow_lpm', reason: null });
    expect(cIdentifier('register')).toEqual({ c_name: 'register_', reason: 'a C keyword' });
    expect(cIdentifier('dry-run.delay_s')).toEqual({ c_name: 'dry_run_delay_s', reason: 'not a C identifier' });
    expect(cIdentifier('_Bool')).toEqual({ c_name: 'p_Bool', reason: 'reserved in C' });
    expect(cIdentifier('2nd')).toEqual({ c_name: '_2nd', reason: 'not a C identifier' });
  });

  it('keeps C names unique within a list', () => {
    const mappings: CNameMapping[] = [];
    expect(cNames('param', ['a.b', 'a-b', 'a_b'], mappings)).toEqual(['a_b', 'a_b_2', 'a_b_3']);
    expect(mappings.map((m) => m.reason)).toEqual([
      'not a C identifier',
      'not a C identifier, another name maps to the same C name',
      'another name maps to the same C name',
    ]);
  });

  it('writes C literals that mean what the catalog says', () => {
    expect(cString('°C "q" \\ ?')).toBe('\\302\\260C \\"q\\" \\\\ \\077');
    expect([cDouble(8), cDouble(0.5), cDouble(-110), cDouble(1e-7)]).toEqual(['8.0', '0.5', '-110.0', '1e-7']);
  });
});

describe('the firmware model of a catalog product', () => {
  const product = (over: Partial<ProductFrontmatter> = {}): ProductFrontmatter => ({
    product_code: 'widget',
    name: 'Widget',
    category: 'other',
    metrics: [
      { name: 'temp_c', unit: '°C', description: 'Temperature', min: 0, max: 40 },
      { name: 'rssi_dbm', unit: 'dBm', description: 'Signal', source: 'network' },
      { name: 'lte_rsrp_dbm', unit: 'dBm', description: 'LTE', since: '2.0.0' },
    ],
    versions: [
      { version: '1.0.0', bom: [], default_runbooks: [] },
      { version: '2.0.0', firmware_baseline: '2.0.3', bom: [], default_runbooks: [] },
    ],
    ...over,
  });

  it('takes the device’s own metrics of that version, and the newest version by default', () => {
    expect(firmwareModel([product()], 'widget', '1.0.0').metrics.map((m) => m.name)).toEqual(['temp_c']);
    const newest = firmwareModel([product()], 'widget');
    expect(newest.product).toMatchObject({ version: '2.0.0', firmware: '2.0.3' });
    expect(newest.metrics.map((m) => m.name)).toEqual(['temp_c', 'lte_rsrp_dbm']);
    expect(newest.network_metrics.map((m) => m.name)).toEqual(['rssi_dbm']);
  });

  it('lists what it knows when the product or the version is unknown, and refuses a product without device metrics', () => {
    expect(() => firmwareModel([product()], 'gadget')).toThrow('unknown product gadget: expected one of widget');
    expect(() => firmwareModel([product()], 'widget', '3.0.0')).toThrow(
      'widget has no version 3.0.0: expected one of 1.0.0, 2.0.0',
    );
    expect(() => firmwareModel([product({ metrics: [] })], 'widget')).toThrow(
      'widget 2.0.0 declares no metric its device measures',
    );
  });

  it('knows what the app does with each command: start and stop move the status, set_… are settings, the rest is refused until written', () => {
    const m = firmwareModel(
      [
        product({
          statuses: ['running', 'stopped'],
          commands: [
            { action: 'start', description: 'Start' },
            {
              action: 'set_level',
              description: 'Level',
              params: [{ name: 'level_pct', type: 'integer', min: 0, max: 100 }],
            },
            { action: 'reboot', description: 'Reboot' },
          ],
        }),
      ],
      'widget',
    );
    expect(m.commands.map((c) => c.handler)).toEqual(['start', 'setting', 'stub']);
    expect(m.settings).toMatchObject([{ name: 'level_pct', c_default: '50.0', key: 's.level_pct' }]);
    expect(m.initial_status).toBe('FB_STATUS_STOPPED');
    // The parser test cases cover the range on both sides and the fraction of an integer.
    expect(m.command_cases.map((c) => c.fn)).toEqual(
      expect.arrayContaining([
        'test_refuses_set_level_level_pct_below_its_range',
        'test_refuses_set_level_level_pct_above_its_range',
        'test_refuses_set_level_level_pct_with_a_fraction',
      ]),
    );
  });
});
