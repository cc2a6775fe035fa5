import React, { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { CatalogCommand, CommandParam } from '../../../data-api/src/contracts/catalog.ts';
import {
  commandParamIssues,
  paramMaxLength,
  paramRangeText,
  paramRequired,
} from '../../../data-api/src/contracts/command-params.ts';
import { commandSchema, type Command } from '../../../data-api/src/contracts/commands.ts';
import { ApiRequestError } from '../../data/client.ts';
import { useDataClient } from '../../data/useResource.ts';
import { frameStyles as s } from '../shared/WidgetFrame.tsx';
import { paramsOf, type FieldValues } from './params.ts';
import styles from './styles.module.css';

/** "0.5 to 8 bar", "at most 200 characters", "true or false"; and "optional" when it is. */
export function paramHint(p: CommandParam): string {
  const what =
    p.type === 'string'
      ? `at most ${paramMaxLength(p)} characters`
      : p.type === 'boolean'
        ? 'true or false'
        : `${p.type === 'integer' ? 'whole number, ' : ''}${paramRangeText(p)}`;
  return paramRequired(p) ? what : `${what}, optional`;
}

const initial = (params: readonly CommandParam[]): FieldValues =>
  Object.fromEntries(params.map((p) => [p.name, p.type === 'boolean' && paramRequired(p) ? 'false' : '']));

interface CommandFormProps {
  device: string;
  /** A command the device takes (DeviceCommands lists those of its version: `commandsForVersion`). */
  command: CatalogCommand;
  onSent(command: Command): void;
}

/** An API refusal: the issues on params by param name, or what to say above the form. */
function refusal(err: unknown): { fields: Record<string, string> } | { problem: string } {
  const body = err instanceof ApiRequestError ? (err.body as { issues?: { path: string; message: string }[] }) : null;
  const onFields = (body?.issues ?? []).filter((i) => i.path.startsWith('body.params.'));
  if (onFields.length) return { fields: Object.fromEntries(onFields.map((i) => [i.path.slice(12), i.message])) };
  const onAction = body?.issues?.find((i) => i.path === 'body.action');
  return { problem: onAction ? onAction.message : (err as Error).message };
}

/**
 * One command of the product: a field a param (number, integer, boolean or string, with its unit
 * and range), checked in the browser with the API's own rule (contracts/command-params.ts) before
 * anything is sent; a refusal of the API's lands on the field it names, or above the form (an
 * action the catalog no longer declares for the device).
 */
export function CommandForm({ device, command, onSent }: CommandFormProps): ReactNode {
  const client = useDataClient();
  const id = useId();
  const declared = command.params ?? [];
  const [values, setValues] = useState<FieldValues>(() => initial(declared));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const testId = `device-commands-form-${command.action}`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    const params = paramsOf(declared, values);
    const issues = commandParamIssues(command, params);
    setErrors(Object.fromEntries(issues.map((i) => [i.param, i.message])));
    if (issues.length) return;
    setBusy(true);
    try {
      const sent = await client.send(commandSchema, 'POST', `/devices/${encodeURIComponent(device)}/commands`, {
        action: command.action,
        params,
      });
      setValues(initial(declared));
      onSent(sent);
    } catch (err) {
      const r = refusal(err);
      if ('fields' in r) setErrors(r.fields);
      else setProblem(r.problem);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className={styles.command} onSubmit={submit} noValidate data-testid={testId}>
      <h4>
        <code>{command.action}</code>
      </h4>
      <p className={s.note}>{command.description}</p>
      {declared.length > 0 && (
        <div className={styles.fields}>
          {declared.map((p) => {
            const fieldId = `${id}-${p.name}`;
            const error = errors[p.name];
            const describedBy = `${fieldId}-hint${error ? ` ${fieldId}-error` : ''}`;
            const common = {
              id: fieldId,
              name: p.name,
              className: s.input,
              value: values[p.name] ?? '',
              'aria-invalid': error ? ('true' as const) : undefined,
              'aria-describedby': describedBy,
              'data-testid': `${testId}-${p.name}`,
            };
            const set = (v: string) => setValues((cur) => ({ ...cur, [p.name]: v }));
            return (
              <div key={p.name} className={styles.field}>
                <label htmlFor={fieldId}>
                  {p.name}
                  {p.unit ? ` (${p.unit})` : ''}
                </label>
                {p.type === 'boolean' ? (
                  <select {...common} className={s.select} onChange={(e) => set(e.target.value)}>
                    {!paramRequired(p) && <option value="">not set</option>}
                    <option value="false">false</option>
                    <option value="true">true</option>
                  </select>
                ) : (
                  <input
                    {...common}
                    type={p.type === 'string' ? 'text' : 'number'}
                    inputMode={p.type === 'integer' ? 'numeric' : p.type === 'number' ? 'decimal' : undefined}
                    step={p.type === 'integer' ? 1 : p.type === 'number' ? 'any' : undefined}
                    min={p.min}
                    max={p.max}
                    autoComplete="off"
                    onChange={(e) => set(e.target.value)}
                  />
                )}
                <span id={`${fieldId}-hint`} className={styles.hint}>
                  {p.description ? `${p.description}: ` : ''}
                  {paramHint(p)}
                </span>
                {error && (
                  <span
                    id={`${fieldId}-error`}
                    className={s.error}
                    role="alert"
                    data-testid={`${testId}-${p.name}-error`}
                  >
                    {error}
                  </span>
                )}
              </div>
            );
          })}
        </div>
      )}
      <div className={styles.actions}>
        <button type="submit" className={s.button} disabled={busy} data-testid={`${testId}-send`}>
          Send {command.action}
        </button>
        {problem && (
          <span className={s.error} role="alert" data-testid={`${testId}-problem`}>
            {problem}
          </span>
        )}
      </div>
    </form>
  );
}

/** The same command for someone who may not send it: what it does and what it takes. */
export function CommandSummary({ command }: { command: CatalogCommand }): ReactNode {
  return (
    <div className={styles.command} data-testid={`device-commands-command-${command.action}`}>
      <h4>
        <code>{command.action}</code>
      </h4>
      <p className={s.note}>{command.description}</p>
      {(command.params ?? []).length > 0 && (
        <ul>
          {command.params!.map((p) => (
            <li key={p.name}>
              <code>{p.name}</code>
              {p.unit ? ` (${p.unit})` : ''}: {paramHint(p)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
