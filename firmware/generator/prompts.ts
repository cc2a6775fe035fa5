// Prompt packs: the reusable prompts of docs/prompts/ that apply to a product, written into
// docs/prompts/<product>/ with the product's contract facts filled in (the inputs with `from:`).
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEAD_LETTER_REASONS } from '../../data-api/src/contracts/mqtt.ts';
import {
  PROMPT_PLACEHOLDER,
  promptFrontmatterSchema,
  type PromptFrontmatter,
  type PromptInput,
} from '../../data-api/src/contracts/prompt.ts';
import type { FirmwareModel } from './model.ts';
import { mdxText, bringUpGates, runbookId, runbookPath } from './runbook.ts';

const PROMPT_BLOCK = /^```prompt[ \t]*\r?\n([\s\S]*?)\r?\n```[ \t]*$/m;

export interface ReusablePrompt {
  file: string;
  slug: string;
  frontmatter: PromptFrontmatter;
  text: string;
}

/** The reusable prompts (docs/prompts/*.mdx, not the packs in sub-folders), valid ones only. */
export function reusablePrompts(siteDir: string): ReusablePrompt[] {
  const dir = path.join(siteDir, 'docs', 'prompts');
  if (!fs.existsSync(dir)) return [];
  const out: ReusablePrompt[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.mdx') || name === 'index.mdx') continue;
    const source = fs.readFileSync(path.join(dir, name), 'utf8');
    const fm = /^---\r?\n([\s\S]*?)\r?\n---/.exec(source);
    const block = PROMPT_BLOCK.exec(source);
    const parsed = fm ? promptFrontmatterSchema.safeParse(parseYaml(fm[1]!)) : null;
    // An invalid prompt is the lint's to report: the pack leaves it out.
    if (!parsed?.success || !block) continue;
    out.push({ file: name, slug: name.replace(/\.mdx$/, ''), frontmatter: parsed.data, text: block[1]! });
  }
  return out;
}

/** Every fact a prompt may take `from:` the catalog, as plain text. */
export function productFacts(
  model: FirmwareModel,
  templatesDir: string,
): Record<NonNullable<PromptInput['from']>, string> {
  const { product } = model;
  const sampleMetrics = Object.fromEntries(
    model.metrics.map((m) => [
      m.name,
      m.min !== undefined && m.max !== undefined ? Math.round(((m.min + m.max) / 2) * 100) / 100 : 0,
    ]),
  );
  return {
    product: `${product.name} (${product.code} ${product.version}, firmware ${product.firmware}, registry role ${product.role})`,
    metrics: [...model.metrics, ...model.network_metrics.map((m) => ({ ...m, range_text: '' }))]
      .map(
        (m) =>
          `- ${m.name} (${m.unit}): ${m.description}${m.min !== undefined && m.max !== undefined ? `; typical ${m.min} to ${m.max} ${m.unit}` : ''}${m.source === 'network' ? ' [measured by the network, not the device]' : ''}`,
      )
      .join('\n'),
    commands: model.commands.length
      ? model.commands
          .map(
            (c) =>
              `- ${c.action}(${c.params.map((p) => `${p.name}: ${p.type}, ${p.range_text}${p.required ? '' : ', optional'}`).join('; ')}): ${c.description}`,
          )
          .join('\n')
      : '- (none: every command is refused as an unknown action)',
    topics: ['telemetry', 'heartbeat', 'state (retained)', 'cmd/result', 'cmd (subscribed: cloud to device)']
      .map((k) => `- fleetbook/v1/{site_id}/{device_id}/${k}`)
      .join('\n'),
    payload_example: JSON.stringify({
      schema_version: 1,
      msg_id: '6b153582-42',
      ts: 1795000000.25,
      status: model.statuses[0]!.name,
      metrics: sampleMetrics,
    }),
    heartbeat: `a heartbeat every ${product.heartbeat_interval_s} s; the device is down after 3 × ${product.heartbeat_interval_s} s without any message, and up again with the next one`,
    port_h: fs.readFileSync(path.join(templatesDir, 'project', 'port', 'port.h'), 'utf8').trim(),
    bring_up_runbook: [
      `${runbookId(model)} (${runbookPath(model)}):`,
      ...bringUpGates(model).map(
        (g) => `- ${g.title}: ${g.items.map((i) => `${i.id}${i.expect ? ` ${i.expect}` : ''}`).join(', ')}`,
      ),
    ].join('\n'),
    dead_letter_reasons: DEAD_LETTER_REASONS.map((r) => `- ${r}`).join('\n'),
  };
}

const yamlString = (s: string) => JSON.stringify(s);

function inputLine(i: PromptInput): string {
  const parts = [`name: ${i.name}`, `type: ${i.type}`];
  if (i.values) parts.push(`values: [${i.values.map(yamlString).join(', ')}]`);
  if (i.required !== undefined) parts.push(`required: ${i.required}`);
  parts.push(`description: ${yamlString(i.description)}`);
  return `  - { ${parts.join(', ')} }`;
}

/** One pack page: the reusable prompt with the product's facts in, and the inputs left to fill. */
export function renderPackPrompt(prompt: ReusablePrompt, model: FirmwareModel, facts: Record<string, string>): string {
  const { product } = model;
  const fm = prompt.frontmatter;
  const left = fm.inputs.filter((i) => !i.from);
  const fromCatalog = new Map(fm.inputs.filter((i) => i.from).map((i) => [i.name, facts[i.from!]!]));
  const text = prompt.text.replace(PROMPT_PLACEHOLDER, (whole, name: string) => fromCatalog.get(name) ?? whole);
  if (text.includes('```'))
    throw new Error(`a fact of ${product.code} contains a code fence: it cannot go into a prompt block`);
  const id = `${fm.id}-${product.code}`.slice(0, 70);
  const lines = [
    '---',
    `id: ${id}`,
    `title: ${yamlString(`${fm.title}: ${product.code}`)}`,
    `sidebar_label: ${yamlString(fm.title)}`,
    'kind: prompt',
    `purpose: ${yamlString(fm.purpose)}`,
    `version: ${fm.version}`,
    `products: [${product.code}]`,
    `product_version: ${yamlString(product.version)}`,
    `derived_from: ${fm.id}`,
    left.length ? 'inputs:' : 'inputs: []',
    ...left.map(inputLine),
    '---',
    '',
    `{/* Generated by \`fleetbook firmware scaffold --product ${product.code} --version ${product.version}\` from ../${prompt.file}: regenerate it rather than editing it. */}`,
    '',
    `# ${mdxText(fm.title)}: ${product.code}`,
    '',
    mdxText(fm.purpose),
    '',
    `The reusable prompt [${mdxText(fm.title)}](../${prompt.file}) with the contract facts of **${product.name} ${product.version}**`,
    `(firmware ${product.firmware}) filled in from the product catalog.`,
    '',
    ...(left.length
      ? [
          'Fill in:',
          '',
          '| input | type | what |',
          '| --- | --- | --- |',
          ...left.map(
            (i) =>
              `| \`${i.name}\` | ${i.type}${i.values ? `: ${i.values.join(', ')}` : ''} | ${mdxText(i.description)} |`,
          ),
          '',
        ]
      : ['Nothing is left to fill in.', '']),
    '```prompt',
    text,
    '```',
    '',
  ];
  return lines.join('\n');
}

/** The pack of a product: path (relative to the site) → page. */
export function renderPack(model: FirmwareModel, siteDir: string, templatesDir: string): Map<string, string> {
  const facts = productFacts(model, templatesDir);
  const pages = new Map<string, string>();
  const code = model.product.code;
  for (const prompt of reusablePrompts(siteDir)) {
    if (!prompt.frontmatter.products.includes('*') && !prompt.frontmatter.products.includes(code)) continue;
    pages.set(`docs/prompts/${code}/${prompt.file}`, renderPackPrompt(prompt, model, facts));
  }
  if (pages.size) {
    pages.set(
      `docs/prompts/${code}/_category_.json`,
      `${JSON.stringify({ label: `${code} pack`, collapsed: true }, null, 2)}\n`,
    );
  }
  return pages;
}
