// The bring-up runbook of a scaffolded product version: the gate methodology (power, flash,
// connectivity, telemetry seen in the API, commands round trip, soak) with `value` items whose
// `expect` ranges come from the catalog. Rendered from firmware/templates/runbook/.
import fs from 'node:fs';
import path from 'node:path';
import type { FirmwareModel } from './model.ts';
import { render } from './render.ts';

interface Item {
  id: string;
  /** YAML: a JSON string (valid YAML double-quoted scalar). */
  yaml_text: string;
  /** Markdown body text, safe for MDX. */
  md_text: string;
  evidence: 'none' | 'note' | 'photo' | 'file' | 'link' | 'value';
  expect: string | null;
  auto_check: string | null;
}

interface Gate {
  id: string;
  title: string;
  sign_off: string | null;
  intro: string;
  items: Item[];
}

/** Text for an MDX body: braces and angle brackets would be read as JSX or expressions. */
export const mdxText = (s: string) => s.replace(/[{}<>]/g, (c) => `\\${c}`);
const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');

function item(
  id: string,
  text: string,
  evidence: Item['evidence'],
  extra: { expect?: { min?: number; max?: number; unit?: string }; auto_check?: Record<string, string> } = {},
): Item {
  const e = extra.expect;
  const parts = e
    ? [
        e.min !== undefined ? `min: ${e.min}` : null,
        e.max !== undefined ? `max: ${e.max}` : null,
        e.unit ? `unit: ${JSON.stringify(e.unit)}` : null,
      ].filter(Boolean)
    : [];
  return {
    id,
    yaml_text: JSON.stringify(text),
    md_text: mdxText(text),
    evidence,
    expect: e ? `{ ${parts.join(', ')} }` : null,
    auto_check: extra.auto_check
      ? `{ ${Object.entries(extra.auto_check)
          .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
          .join(', ')} }`
      : null,
  };
}

export function runbookId(model: FirmwareModel): string {
  return `rb-${model.product.code}-${model.product.version.replace(/[^0-9A-Za-z]+/g, '-')}-bring-up`;
}

export function runbookPath(model: FirmwareModel): string {
  return `runbooks/${model.product.code}-${model.product.version}-bring-up.mdx`;
}

type Metric = FirmwareModel['metrics'][number];
const ranged = (m: Metric) => m.min !== undefined && m.max !== undefined;

/** Power: the board on the bench, and each supply voltage the product reports with a range. */
function powerItems(metrics: readonly Metric[]): Item[] {
  const power: Item[] = [
    item('board-photo', 'Board photographed on the bench with its serial label readable', 'photo'),
  ];
  for (const m of metrics.filter((x) => x.unit === 'V' && ranged(x)))
    power.push(
      item(`supply-${slug(m.name)}`, `${m.description} (${m.name}), measured at the terminals`, 'value', {
        expect: { min: m.min, max: m.max, unit: m.unit },
      }),
    );
  return power;
}

function flashItems(product: FirmwareModel['product']): Item[] {
  return [
    item(
      'identity',
      'Device identity provisioned: site, device id and the token from `fleetbook device token`',
      'note',
    ),
    item(
      'flashed',
      `Firmware ${product.firmware} built from the scaffold and flashed; the console prints ${product.code} ${product.version} (firmware ${product.firmware})`,
      'note',
    ),
    item('unit-tests', 'The core unit tests pass on the build machine (ctest)', 'none'),
    item('flash-log', 'Flash log saved', 'file'),
  ];
}

/** Connectivity: network, broker, and the signal strengths (the device's or the network's) with a range. */
function connectivityItems(model: FirmwareModel): Item[] {
  const signal = [...model.metrics, ...model.network_metrics].filter(
    (m) => m.unit === 'dBm' && m.min !== undefined && m.max !== undefined,
  );
  return [
    item('network', 'Network up and the clock set by SNTP (the log shows readings, not "clock not set")', 'note'),
    item('broker', 'Connected to the broker with its own identity; it publishes only under its own topics', 'none', {
      auto_check: { mqtt: `fleetbook/v1/{{site.id}}/{{device.id}}/state` },
    }),
    ...signal.map((m) =>
      item(`signal-${slug(m.name)}`, `${m.description} (${m.name}) at the install point`, 'value', {
        expect: { min: m.min, max: m.max, unit: m.unit },
      }),
    ),
  ];
}

function telemetryItems(model: FirmwareModel): Item[] {
  const { product, metrics } = model;
  return [
    item(
      'heartbeat',
      `Heartbeats every ${product.heartbeat_interval_s} s and the device shows up in fleetbook`,
      'none',
      { auto_check: { device_up: '{{device.id}}' } },
    ),
    ...metrics.filter(ranged).map((m) =>
      item(`m-${slug(m.name)}`, `Bench reading of ${m.name} (${m.unit}) as the API shows it`, 'value', {
        expect: { min: m.min, max: m.max, unit: m.unit },
      }),
    ),
    item(
      'state',
      `The retained state shows firmware ${product.firmware} and the offline buffer (capacity, queued, dropped)`,
      'none',
    ),
    item(
      'offline-buffer',
      'Broker unreachable for 5 minutes, then back: every reading taken meanwhile arrives once, in order, with its original ts',
      'none',
    ),
  ];
}

/**
 * Each command round trip, a range refusal where a param has a maximum, and an expired command.
 * Refusals are the API's (it checks actions and params against the catalog, with the firmware's
 * rule): the firmware's own refusal of what the API would never send is in its generated tests.
 */
function commandItems(commands: FirmwareModel['commands']): Item[] {
  const roundTrips: Item[] = [];
  for (const c of commands) {
    const example = Object.entries(JSON.parse(c.example_params) as Record<string, unknown>)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    roundTrips.push(
      item(
        `cmd-${slug(c.action)}`,
        c.is_stub
          ? `${c.action} comes back failed as not implemented, until it is`
          : `${c.action}${example ? ` with ${example}` : ''} comes back accepted, then done`,
        'none',
      ),
    );
    const p = c.params.find((x) => x.c_above !== null);
    if (p)
      roundTrips.push(
        item(
          `range-${slug(c.action)}`,
          `${c.action} with ${p.name} ${Number(p.c_above)} is refused by the API (400, naming the range ${p.range_text}); nothing reaches the device`,
          'none',
        ),
      );
  }
  if (!commands.length)
    roundTrips.push(
      item(
        'unknown-action',
        'A command is refused by the API (400: the product declares none); nothing reaches the device',
        'none',
      ),
    );
  roundTrips.push(
    item(
      'expired',
      'A command delivered after its expires_at is refused (failed, expired), never executed late',
      'none',
    ),
  );
  return roundTrips;
}

function soakItems(): Item[] {
  return [
    item('soak-hours', 'Hours powered and connected without a reboot', 'value', {
      expect: { min: 24, max: 10000, unit: 'h' },
    }),
    item('uptime-pct', 'Heartbeat uptime over the soak, from the device page', 'value', {
      expect: { min: 99.5, max: 100, unit: '%' },
    }),
    item('dropped', 'Readings dropped by the offline buffer over the soak (state: buffer.dropped)', 'value', {
      expect: { min: 0, max: 0, unit: 'readings' },
    }),
    item('soak-notes', 'Anything odd during the soak (reboots, gaps, warnings in the log), or "none"', 'note'),
  ];
}

export function bringUpGates(model: FirmwareModel): Gate[] {
  return [
    {
      id: 'g1-power',
      title: 'Power',
      sign_off: null,
      intro: 'A current-limited bench supply and the board with its sensors; no load on the outputs.',
      items: powerItems(model.metrics),
    },
    {
      id: 'g2-flash',
      title: 'Flash',
      sign_off: null,
      intro: 'Build the scaffold, flash it, and provision the identity (see the project README).',
      items: flashItems(model.product),
    },
    {
      id: 'g3-connectivity',
      title: 'Connectivity',
      sign_off: null,
      intro: 'The device reaches the broker as itself: username = device id, password = its token.',
      items: connectivityItems(model),
    },
    {
      id: 'g4-telemetry',
      title: 'Telemetry seen in the API',
      sign_off: null,
      intro: 'The device must appear in fleetbook as a user sees it, not only in the broker log.',
      items: telemetryItems(model),
    },
    {
      id: 'g5-commands',
      title: 'Commands round trip',
      sign_off: null,
      intro: 'Send each command from fleetbook (API or CLI) and watch its result.',
      items: commandItems(model.commands),
    },
    {
      id: 'g6-soak',
      title: 'Soak',
      sign_off: 'lead',
      intro: 'Leave the board powered and connected on the bench for at least 24 hours.',
      items: soakItems(),
    },
  ];
}

export function renderRunbook(model: FirmwareModel, templatesDir: string): string {
  const template = fs.readFileSync(path.join(templatesDir, 'runbook', 'bring-up.mdx.tmpl'), 'utf8');
  const gates = bringUpGates(model).map((g) => ({ ...g, has_sign_off: g.sign_off !== null }));
  const view = {
    ...model,
    id: runbookId(model),
    gates,
    metric_names: model.metrics.map((m) => `'${m.name}'`).join(', '),
    first_metric: model.metrics[0]!.name,
    set_example: model.commands.find((c) => c.is_setting) ?? model.commands.find((c) => !c.is_stub) ?? null,
    estimated_minutes: 240,
  };
  return render(template, view, 'templates/runbook/bring-up.mdx.tmpl');
}
