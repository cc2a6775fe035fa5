// ChirpStack's MQTT topics come from templates in its chirpstack.toml ([integration.mqtt]
// event_topic / command_topic, with {{application_id}}, {{dev_eui}}, {{event}} / {{command}}).
// fleetbook takes the same templates (FLEETBOOK_CHIRPSTACK_EVENT_TOPIC / _COMMAND_TOPIC), so a
// ChirpStack set up with another prefix (one per tenant, say) needs no code change.
import { CHIRPSTACK_COMMAND_TOPIC, CHIRPSTACK_EVENT_TOPIC, CHIRPSTACK_EVENTS } from '../../../contracts/chirpstack.ts';

const PLACEHOLDER = /\{\{\s*([A-Za-z_]+)\s*\}\}/g;
const EVENT_VARS = ['application_id', 'dev_eui', 'event'];
const COMMAND_VARS = ['application_id', 'dev_eui', 'command'];

export interface ChirpstackEventTopic {
  application_id: string;
  dev_eui: string;
  event: string;
}

/** A template's problem in words, or null. Used by the options schema. */
export function templateProblem(template: string, kind: 'event' | 'command'): string | null {
  const vars = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  const need = kind === 'event' ? EVENT_VARS : COMMAND_VARS;
  const unknown = vars.filter((v) => !need.includes(v));
  if (unknown.length)
    return `unknown placeholder ${unknown.map((v) => `{{${v}}}`).join(', ')}; expected ${need.map((v) => `{{${v}}}`).join(', ')}`;
  const missing = need.filter((v) => !vars.includes(v));
  if (missing.length) return `missing ${missing.map((v) => `{{${v}}}`).join(', ')}`;
  if (/[#+]/.test(template.replace(PLACEHOLDER, '')))
    return 'no MQTT wildcards (+ or #): placeholders stand for the variable parts';
  for (const level of template.split('/')) {
    if (level.includes('{{') && level.replace(PLACEHOLDER, '') !== '')
      return `a placeholder must fill a whole topic level (got "${level}")`;
  }
  return null;
}

export class ChirpstackTopics {
  private readonly eventLevels: string[];

  constructor(
    readonly eventTemplate = CHIRPSTACK_EVENT_TOPIC,
    readonly commandTemplate = CHIRPSTACK_COMMAND_TOPIC,
  ) {
    const problem = templateProblem(eventTemplate, 'event') ?? templateProblem(commandTemplate, 'command');
    if (problem) throw new Error(`ChirpStack topic template: ${problem}`);
    this.eventLevels = eventTemplate.split('/');
  }

  /** The subscriptions: one per event the ingest reads (up, ack, txack). */
  filters(): string[] {
    return CHIRPSTACK_EVENTS.map((event) =>
      this.eventTemplate.replace(PLACEHOLDER, (_, v: string) => (v === 'event' ? event : '+')),
    );
  }

  parseEvent(topic: string): ChirpstackEventTopic | null {
    const levels = topic.split('/');
    if (levels.length !== this.eventLevels.length) return null;
    const out: Record<string, string> = {};
    for (let i = 0; i < levels.length; i++) {
      const m = /^\{\{\s*([a-z_]+)\s*\}\}$/.exec(this.eventLevels[i]!);
      if (m) {
        if (!levels[i]) return null;
        out[m[1]!] = levels[i]!;
      } else if (levels[i] !== this.eventLevels[i]) return null;
    }
    return out as unknown as ChirpstackEventTopic;
  }

  /** Every event topic (publish rights of ChirpStack's user). */
  eventFilter(): string {
    return this.eventTemplate.replace(PLACEHOLDER, '+');
  }

  /** Every command topic (what ChirpStack subscribes to, and fleetbook publishes on). */
  commandFilter(): string {
    return this.commandTemplate.replace(PLACEHOLDER, '+');
  }

  command(applicationId: string, devEui: string, command: 'down' = 'down'): string {
    const vars: Record<string, string> = { application_id: applicationId, dev_eui: devEui.toLowerCase(), command };
    return this.commandTemplate.replace(PLACEHOLDER, (_, v: string) => vars[v]!);
  }
}

export const DEFAULT_CHIRPSTACK_TOPICS = new ChirpstackTopics();
