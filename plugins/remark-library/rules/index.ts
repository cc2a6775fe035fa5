// Every rule of the library lint, in the order their ids are documented (docs/contracts/library.mdx).
import type { LibraryRule, PageRule, SiteRule } from '../types.ts';
import { duplicatePromptId, missingPrompt, undeclaredInput, unknownProduct, unusedInput } from './prompt.ts';
import { missingDatasheet, productSchema, promptSchema, templateSchema } from './schema.ts';
import { missingTemplate, unknownVariable } from './template.ts';

export const rules: readonly LibraryRule[] = [
  productSchema,
  missingDatasheet,
  promptSchema,
  unknownProduct,
  duplicatePromptId,
  missingPrompt,
  undeclaredInput,
  unusedInput,
  templateSchema,
  missingTemplate,
  unknownVariable,
];

export const pageRules = rules.filter((r): r is PageRule => r.scope === 'page');
export const siteRules = rules.filter((r): r is SiteRule => r.scope === 'site');
