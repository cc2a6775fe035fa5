// The templates in a runbook item's `auto_check` target (`{{site.network_server}}:1700`): what
// they can read. Checked at build time (runbook/bad-probe-template) and filled in by the API
// when the probe runs (data-api/src/runbooks/auto-check/targets.ts), from the same lists, so a
// template the lint accepts is one the API knows. No server-only imports: the lint loads it.
import { closest } from './edit-distance.ts';
import { deploymentSchema, siteSchema } from './registry.ts';

/** Scalars only: an object (a site's location) cannot be a host, URL or topic. */
const scalarFields = (shape: Record<string, unknown>, objects: readonly string[]) =>
  Object.keys(shape).filter((k) => !objects.includes(k));

/**
 * Per root, the fields a template can name: the execution's site and deployment as the API
 * answers them, and the deployment's device (its only one, or its only one of its product).
 */
export const PROBE_TEMPLATE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  site: scalarFields(siteSchema.shape, ['location']),
  deployment: scalarFields(deploymentSchema.shape, []),
  device: ['id', 'name', 'serial', 'role', 'product_code'],
};

const TEMPLATE = /\{\{\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*\}\}/g;

/** The `{{root.field}}` templates of a target, in order. */
export function probeTemplates(target: string): Array<{ text: string; root: string; field: string }> {
  return [...target.matchAll(TEMPLATE)].map(([text, root, field]) => ({ text, root: root!, field: field! }));
}

/** True when braces are left once the templates are taken out: `{{vm ip}}`, `{{site}}`. */
export const hasStrayBraces = (target: string): boolean => /\{\{|\}\}/.test(target.replace(TEMPLATE, ''));

/** What is wrong with a target's templates, one message each; none when the API can fill every one in. */
export function checkProbeTemplates(target: string): string[] {
  const roots = Object.keys(PROBE_TEMPLATE_FIELDS);
  const problems: string[] = [];
  for (const { text, root, field } of probeTemplates(target)) {
    const fields = PROBE_TEMPLATE_FIELDS[root];
    if (!fields) {
      const hint = closest(root, roots, 2);
      problems.push(
        `Unexpected template "${text}"${hint ? ` (did you mean "${hint}.${field}"?)` : ''}, expected one under ${roots.join(', ')}`,
      );
    } else if (!fields.includes(field)) {
      const hint = closest(field, fields, 3);
      problems.push(
        `Unexpected template "${text}": ${root} has no field "${field}"${hint ? ` (did you mean "${root}.${hint}"?)` : ''}, expected one of ${fields.join(', ')}`,
      );
    }
  }
  if (hasStrayBraces(target))
    problems.push(`Unexpected braces in ${JSON.stringify(target)}, expected templates written {{root.field}}`);
  return problems;
}
