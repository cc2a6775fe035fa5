import React, { useState, type ReactNode } from 'react';
import { commandsForVersion } from '../../../data-api/src/contracts/command-params.ts';
import { changePayloadOf } from '../../../data-api/src/contracts/change-events.ts';
import { commandListSchema, type Command } from '../../../data-api/src/contracts/commands.ts';
import { productSchema } from '../../../data-api/src/contracts/registry.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { canOperate, useWhoami } from '../../data/useWhoami.ts';
import { ProductLink } from '../shared/FleetLink.tsx';
import { refusalText } from '../shared/refusal.ts';
import { useDevice } from '../shared/useDevice.tsx';
import { useNow } from '../shared/useNow.ts';
import { frameStyles as s, WidgetFrame } from '../shared/WidgetFrame.tsx';
import { CommandForm, CommandSummary } from './CommandForm.tsx';
import { RecentCommands } from './RecentCommands.tsx';
import styles from './styles.module.css';

export interface DeviceCommandsProps {
  /** Device id, e.g. `dev_farm-north-4-001`. */
  device: string;
  title?: ReactNode;
}

/** Where a command stands in pending → sent → accepted → done | failed | expired. */
const RANK: Record<Command['status'], number> = { pending: 0, sent: 1, accepted: 2, done: 3, failed: 3, expired: 3 };

/** The list's copies and those the API answered a send with, each command once, the furthest along. */
function merge(listed: readonly Command[], sent: readonly Command[]): Command[] {
  const byId = new Map<string, Command>();
  for (const c of [...sent, ...listed]) {
    const have = byId.get(c.cmd_id);
    if (!have || RANK[c.status] >= RANK[have.status]) byId.set(c.cmd_id, c);
  }
  return [...byId.values()].sort((a, b) => (a.cmd_id < b.cmd_id ? 1 : -1));
}

/**
 * The commands a device's product declares for its version (catalog `commands`, `since`), each a
 * form for operators and admins (read-only for everyone else), and the device's recent commands
 * below with their status, live from the change feed (`command.created`, `command.updated`).
 */
export function DeviceCommands({ device, title }: DeviceCommandsProps): ReactNode {
  const now = useNow(10_000);
  const path = `/devices/${encodeURIComponent(device)}`;
  const { res, row } = useDevice(device);
  const product = useLiveResource(row ? `/products/${encodeURIComponent(row.product_code)}` : null, productSchema, {
    missingIsUnavailable: true,
  });
  const recent = useLiveResource(`${path}/commands`, commandListSchema, {
    topics: ['command'],
    refetchOn: (e) => changePayloadOf(e, 'command.*')?.command.device_id === device,
    missingIsUnavailable: true,
  });
  const who = useWhoami();
  const operator = canOperate(who.data?.role);
  const [sent, setSent] = useState<Command[]>([]);

  const declared = product.data?.spec.commands ?? [];
  const applies = row ? commandsForVersion(declared, row.product_version) : [];
  const later = declared.filter((c) => !applies.includes(c));
  const items = merge(recent.data?.items ?? [], sent);
  const what = row ? `${row.product_code}${row.product_version ? ` ${row.product_version}` : ''}` : '';

  return (
    <WidgetFrame
      name="DeviceCommands"
      testId="device-commands"
      title={title ?? 'Commands'}
      state={res}
      connection={res.connection}
      refused={{ lead: `DeviceCommands for ${device}`, byId: true }}
      data={{ device, commands: applies.length, operator: operator ? 'yes' : 'no' }}
    >
      {row && (
        <>
          {product.status === 'loading' ? (
            <p className={s.note}>Loading the product’s commands…</p>
          ) : product.status === 'unavailable' || product.status === 'error' ? (
            <p className={s.note}>Product {row.product_code} is not in the catalog: its commands are not known here.</p>
          ) : applies.length === 0 ? (
            <p className={s.note} data-testid="device-commands-none">
              <ProductLink code={row.product_code}>{row.product_code}</ProductLink>
              {row.product_version ? ` ${row.product_version}` : ''} declares no commands.
            </p>
          ) : !row.site_id ? (
            <>
              <p className={s.note} role="status" data-testid="device-commands-in-stock">
                This device has no site (in stock): it has no cmd topic, so no command can be sent to it. Install it at
                a site first.
              </p>
              <div className={styles.commands}>
                {applies.map((c) => (
                  <CommandSummary key={c.action} command={c} />
                ))}
              </div>
            </>
          ) : (
            <>
              {!operator && (
                <p className={s.note} data-testid="device-commands-read-only">
                  What {what} takes. Operators and admins can send these commands from here.
                </p>
              )}
              <div className={styles.commands}>
                {applies.map((c) =>
                  operator ? (
                    <CommandForm
                      key={c.action}
                      device={device}
                      command={c}
                      onSent={(cmd) => {
                        setSent((cur) => [cmd, ...cur]);
                        recent.reload();
                      }}
                    />
                  ) : (
                    <CommandSummary key={c.action} command={c} />
                  ),
                )}
              </div>
            </>
          )}
          {later.length > 0 && (
            <p className={s.note} data-testid="device-commands-later">
              Not on {what}: {later.map((c) => `${c.action} (since ${c.since})`).join(', ')}.
            </p>
          )}
          <RecentCommands
            items={items}
            state={recent.status}
            refused={
              recent.status === 'unavailable' || recent.status === 'error'
                ? refusalText({ lead: 'Recent commands', byId: true }, recent.error)
                : null
            }
            now={now}
          />
        </>
      )}
    </WidgetFrame>
  );
}

export default DeviceCommands;
