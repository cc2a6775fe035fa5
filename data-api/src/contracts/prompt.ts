// Prompt pages (docs/prompts/**/*.mdx): reusable prompts for an assistant, with typed inputs.
// Shared by the lint (plugins/remark-library), the scaffold's prompt packs and the browser.
// `import * as z`: Docusaurus loads this file through jiti (see runbook.ts).
import * as z from 'zod';

export const PROMPT_INPUT_TYPES = ['string', 'text', 'number', 'enum', 'file', 'product', 'metric', 'device'] as const;

/**
 * Facts a prompt pack fills in from the product catalog (`from:` of an input). The scaffold
 * knows each of them; anything else is a lint error.
 */
export const PROMPT_FACTS = [
  'product',
  'metrics',
  'commands',
  'topics',
  'payload_example',
  'heartbeat',
  'port_h',
  'bring_up_runbook',
  'dead_letter_reasons',
] as const;

export const PROMPT_ID_PATTERN = /^prompt-[a-z0-9][a-z0-9-]{0,62}$/;
/** `{{name}}` in a prompt's text: an input. */
export const PROMPT_PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

const text = (max = 300) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

export const promptInputSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'expected a snake_case input name'),
    type: z.enum(PROMPT_INPUT_TYPES),
    description: text(),
    values: z.array(text(60)).min(2).optional(),
    /** Filled from the product catalog by a prompt pack. */
    from: z.enum(PROMPT_FACTS).optional(),
    required: z.boolean().optional(),
  })
  .superRefine((input, ctx) => {
    if (input.type === 'enum' && !input.values)
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'an enum input lists its `values`' });
    if (input.type !== 'enum' && input.values)
      ctx.addIssue({ code: 'custom', path: ['values'], message: '`values` belongs to an enum input only' });
  });
export type PromptInput = z.infer<typeof promptInputSchema>;

/** Docusaurus keys allowed beside ours. */
const docusaurus = {
  sidebar_label: z.unknown().optional(),
  sidebar_position: z.unknown().optional(),
  description: z.unknown().optional(),
  tags: z.unknown().optional(),
};

export const promptFrontmatterSchema = z.strictObject({
  id: z.string().regex(PROMPT_ID_PATTERN, 'expected a prompt id like prompt-sensor-driver'),
  title: text(),
  kind: z.literal('prompt'),
  purpose: text(500),
  /** Bump when the prompt's text or inputs change. */
  version: z.int().min(1),
  /** Product codes it applies to, or `['*']` for every product. */
  products: z.array(z.string().min(1)).min(1),
  inputs: z.array(promptInputSchema).default([]),
  /** A pack's prompt: the reusable prompt it was written from, and the product version. */
  derived_from: z.string().regex(PROMPT_ID_PATTERN).optional(),
  product_version: z.string().optional(),
  ...docusaurus,
});
export type PromptFrontmatter = z.infer<typeof promptFrontmatterSchema>;

/** The input names a prompt text uses, in order of first use. */
export function placeholders(promptText: string): string[] {
  return [...new Set([...promptText.matchAll(PROMPT_PLACEHOLDER)].map((m) => m[1]!))];
}
