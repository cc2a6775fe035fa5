// The demo's notifications: the repository's notifications/ folder names contact points whose
// secrets (env:SLACK_WEBHOOK_URL, env:SMTP_PASSWORD, …) a newcomer's machine does not have. Sent
// anyway, every alert would read "told: ops-chat ✗ failed" and the log warn each time, a fault
// that is not one. As Alertmanager does with a receiver that has no integration, the demo keeps
// the routes (an alert still goes down the tree and into its group) but tells no contact point
// it cannot reach; the start logs once which ones, and why. Set the variable and start again to
// be told. Outside --demo a missing secret stays a failed delivery: there it is a fault.
import type { ContactPoint } from '../contracts/notification-channels.ts';

/** The `env:NAME` references in a contact point's settings. */
function envRefs(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string' && value.startsWith('env:')) out.push(value.slice(4));
  else if (Array.isArray(value)) for (const v of value) envRefs(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) envRefs(v, out);
  return out;
}

/** Contact point name → why the demo does not use it ("SLACK_WEBHOOK_URL is not set"). */
export function unreachableContactPoints(
  points: ReadonlyMap<string, ContactPoint>,
  env: NodeJS.ProcessEnv = process.env,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, point] of points) {
    const missing = [...new Set(envRefs(point))].filter((n) => !env[n]);
    if (missing.length) out.set(name, `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set`);
  }
  return out;
}
