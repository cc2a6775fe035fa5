// The shape of an item's `auto_check` target, per probe (runbooks.md: `udp: "{{site.network_server}}:1700"`):
// `tcp`/`udp` a host:port, `http` an http(s) URL, `mqtt` one topic, `device_up` a device id.
// Checked at build time on the target as written, each `{{root.field}}` standing for a value
// (runbook/bad-probe-target), so a runbook whose probe could never run fails the build instead of
// answering 409 to the field engineer who taps Check; the API reads host:port with the same
// parseHostPort once the templates are filled in. No server-only imports: the lint loads it.
import { deviceIdSchema } from './ids.ts';
import { hasStrayBraces, probeTemplates } from './probe-template.ts';

/** `host:port` or `[v6]:port` with a port 1–65535; null when it is neither. */
export function parseHostPort(target: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(target);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2]!, port };
}

/** The target with each template replaced by `stand`: what the shape checks read. */
function standIn(target: string, stand: string): string {
  let out = target;
  for (const t of probeTemplates(target)) out = out.replace(t.text, stand);
  return out;
}

/** The URL, or null (not URL.canParse: the browser loads this too, and older phones lack it). */
function urlOf(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

const isOneTemplate = (s: string) => {
  const ts = probeTemplates(s);
  return ts.length === 1 && ts[0]!.text === s.trim();
};

/** Why a target does not fit its probe: `expected` what it should be, `why` what is wrong when it says more. */
export interface ProbeTargetProblem {
  expected: string;
  why?: string;
}

/**
 * What is wrong with the target of `probe` (an AUTO_CHECK_PROBES name); null when its shape fits.
 * Braces that are not `{{root.field}}` are runbook/bad-probe-template's to report.
 */
export function probeTargetProblem(probe: string, target: string): ProbeTargetProblem | null {
  if (hasStrayBraces(target)) return null;
  switch (probe) {
    case 'tcp':
    case 'udp': {
      const example = probe === 'udp' ? '"{{site.network_server}}:1700"' : '"{{site.network_server}}:22"';
      const expected = `\`host:port\` (a host name or IP address, a colon, a port 1–65535), e.g. ${example}`;
      const colon = target.lastIndexOf(':');
      if (colon < 0) return { expected, why: 'no port' };
      const port = target.slice(colon + 1);
      // A port written as a template is taken on trust; the API checks the filled-in value.
      const probeable = `${standIn(target.slice(0, colon), 'x')}:${isOneTemplate(port) ? '1' : port}`;
      if (parseHostPort(probeable)) return null;
      const badPort = /^\d+$/.test(port) && !parseHostPort(`x:${port}`);
      return badPort ? { expected, why: `port ${port} out of range` } : { expected };
    }
    case 'http': {
      const url = urlOf(standIn(target, 'x'));
      return url && (url.protocol === 'http:' || url.protocol === 'https:')
        ? null
        : { expected: 'an http:// or https:// URL, e.g. "http://{{site.network_server}}:8080/health"' };
    }
    case 'mqtt':
      return /[+#]/.test(standIn(target, 'x'))
        ? {
            expected:
              'one topic, e.g. "fleetbook/v1/{{site.id}}/{{device.id}}/state" (the probe waits for a message on it)',
            why: 'a wildcard',
          }
        : null;
    case 'device_up':
      return isOneTemplate(target) || deviceIdSchema.safeParse(target).success
        ? null
        : { expected: 'a device id (gw_… or dev_…) or "{{device.id}}" (the deployment’s device)' };
    default:
      return null;
  }
}

/** "Unexpected "x" (no port) for `field`, expected …": the message of runbook/bad-probe-target. */
export function probeTargetMessage(field: string, target: string, problem: ProbeTargetProblem): string {
  return `Unexpected ${JSON.stringify(target)}${problem.why ? ` (${problem.why})` : ''} for \`${field}\`, expected ${problem.expected}`;
}
