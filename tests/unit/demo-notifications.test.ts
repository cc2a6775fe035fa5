// `--demo` on the repository's notifications/ folder, on a machine without its secrets: the
// contact points it cannot reach are routed to but never told (no "✗ failed" on every alert),
// as Alertmanager does with a receiver that has no integration; with the secret set, they are.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unreachableContactPoints } from '../../data-api/src/demo/notifications.ts';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import { compileRoutes } from '../../data-api/src/notifications/route.ts';
import { loadNotificationConfig, readRuleCatalog } from '../../data-api/src/notifications/rules.ts';
import type { CompiledRoute } from '../../data-api/src/notifications/compiled-route.ts';

/** Every contact point a route and its children would tell, at any step. */
const told = (r: CompiledRoute, out = new Set<string>()): Set<string> => {
  for (const s of r.steps) for (const cp of s.contactPoints) out.add(cp);
  for (const c of r.children) told(c, out);
  return out;
};

describe('the demo’s contact points without their secrets', () => {
  it('are named with the variable that is missing, and no route tells them; set, they are told again', async () => {
    const loaded = loadNotificationConfig(
      path.join(PROJECT_ROOT, 'notifications'),
      await readRuleCatalog(PROJECT_ROOT),
      PROJECT_ROOT,
    );
    if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
    const { contactPoints, policies } = loaded.config;

    const bare = unreachableContactPoints(contactPoints, {});
    expect(bare.get('ops-chat')).toBe('SLACK_WEBHOOK_URL is not set');
    expect(bare.get('ops-webhook')).toBe('OPS_WEBHOOK_URL, OPS_WEBHOOK_HMAC are not set');
    const root = compileRoutes(policies.route, policies.escalations, new Set(bare.keys())).get('root')!;
    expect(root.receiverName).toBe('ops-chat'); // still routed and grouped there
    expect([...told(root)]).toEqual([]);

    const slack = unreachableContactPoints(contactPoints, { SLACK_WEBHOOK_URL: 'https://hooks.slack.invalid/x' });
    expect(slack.has('ops-chat')).toBe(false);
    const withSlack = compileRoutes(policies.route, policies.escalations, new Set(slack.keys())).get('root')!;
    expect([...told(withSlack)]).toEqual(['ops-chat']);
  });
});
