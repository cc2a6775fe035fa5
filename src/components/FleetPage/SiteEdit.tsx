// An admin's edit of a site's facts, on its page: what a runbook asks a field engineer to write
// back (the VM in the LAN notes, the network server) without curl. The contract's own
// siteUpdateSchema checks it in the browser; only changed fields are sent, with If-Match, so a
// copy someone else has changed since the form opened is never overwritten unseen (412).
import React, { useId, useState, type ReactNode } from 'react';
import { siteSchema, siteUpdateSchema, type Site } from '../../../data-api/src/contracts/registry.ts';
import { etagOf } from '../../../data-api/src/contracts/preconditions.ts';
import { ApiRequestError } from '../../data/client.ts';
import { useDataClient } from '../../data/useResource.ts';
import styles from './styles.module.css';

type Field = 'name' | 'timezone' | 'region' | 'network_server' | 'lat' | 'lon' | 'lan_notes';
type Draft = Record<Field, string>;
type Errors = Partial<Record<Field | 'form', string>>;

const LABELS: Record<Field, string> = {
  name: 'Name',
  timezone: 'Time zone',
  region: 'Radio region',
  network_server: 'Network server',
  lat: 'Latitude',
  lon: 'Longitude',
  lan_notes: 'LAN notes',
};
const HINTS: Partial<Record<Field, string>> = {
  timezone: 'IANA name, e.g. Asia/Bangkok',
  region: 'e.g. AS923_1, EU868, US915; empty for none',
  network_server: 'host name or IPv4 address, no port; empty for none',
  lat: 'decimal degrees; latitude and longitude both, or neither',
  lan_notes: 'one host per line: name, VMID, IP…',
};

const draftOf = (s: Site): Draft => ({
  name: s.name,
  timezone: s.timezone,
  region: s.region ?? '',
  network_server: s.network_server ?? '',
  lat: s.location ? String(s.location.lat) : '',
  lon: s.location ? String(s.location.lon) : '',
  lan_notes: s.lan_notes ?? '',
});

/** The text of a field as the site has it (what the form started from, or what changed). */
const shown = (s: Site, f: Field): string => draftOf(s)[f];

/** A number as typed: empty is "none", anything else is handed to the schema as Number() reads it. */
const num = (text: string): number => (text.trim() === '' ? NaN : Number(text.trim()));

/**
 * The PATCH body: the fields whose text differs from the copy the form opened on. Empty
 * optional fields mean null; lat and lon travel together as `location`.
 */
function changes(base: Site, d: Draft): { body: Record<string, unknown>; errors: Errors } {
  const from = draftOf(base);
  const body: Record<string, unknown> = {};
  const errors: Errors = {};
  if (d.name !== from.name) body.name = d.name;
  if (d.timezone !== from.timezone) body.timezone = d.timezone.trim();
  for (const f of ['region', 'network_server', 'lan_notes'] as const) {
    if (d[f] !== from[f]) body[f] = f === 'lan_notes' ? d[f] || null : d[f].trim() || null;
  }
  if (d.lat !== from.lat || d.lon !== from.lon) {
    const [lat, lon] = [d.lat.trim(), d.lon.trim()];
    if (!lat && !lon) body.location = null;
    else if (!lat || !lon) errors[lat ? 'lon' : 'lat'] = 'give latitude and longitude both, or neither';
    else body.location = { lat: num(lat), lon: num(lon) };
  }
  return { body, errors };
}

/** An issue's path (`['location', 'lat']`, or the API's `body.network_server`) → the form field. */
function fieldOf(path: ReadonlyArray<PropertyKey>): Field | 'form' {
  const parts = path.map(String).filter((p) => p !== 'body');
  const key = parts[0] === 'location' ? (parts[1] ?? 'lat') : parts[0];
  return key && key in LABELS ? (key as Field) : 'form';
}

function addIssue(errors: Errors, field: Field | 'form', message: string) {
  errors[field] = errors[field] ? `${errors[field]}; ${message}` : message;
}

/** What a refused save means for the form: a 412's current site, a 400's field errors, or a message. */
function refusal(err: unknown): { theirs?: Site; errors?: Errors; message?: string } {
  const e = err instanceof ApiRequestError ? err : null;
  const b = (e?.body ?? {}) as { issues?: Array<{ path: string; message: string }>; current?: unknown };
  if (e?.status === 412) {
    const now = siteSchema.safeParse(b.current);
    return now.success ? { theirs: now.data } : { message: e.message };
  }
  if (e?.status === 400 && b.issues?.length) {
    const errors: Errors = {};
    for (const i of b.issues) addIssue(errors, fieldOf(i.path.split('.')), i.message);
    return { errors };
  }
  return { message: (err as Error).message };
}

export function SiteEdit({ site, onClose }: { site: Site; onClose: () => void }): ReactNode {
  const client = useDataClient();
  const uid = useId();
  /** The copy the form opened on (or was re-based on after a 412): its ETag goes in If-Match. */
  const [base, setBase] = useState<Site>(site);
  const [draft, setDraft] = useState<Draft>(() => draftOf(site));
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  /** After a 412: the site as it is now, until the person re-applies or takes it. */
  const [theirs, setTheirs] = useState<Site | null>(null);

  const submit = async () => {
    setMessage(null);
    const { body, errors: own } = changes(base, draft);
    const found: Errors = { ...own };
    const parsed = siteUpdateSchema.safeParse(body);
    if (!parsed.success) for (const i of parsed.error.issues) addIssue(found, fieldOf(i.path), i.message);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    if (!parsed.success || Object.keys(parsed.data).length === 0) {
      setMessage('Nothing changed.');
      return;
    }
    setBusy(true);
    try {
      const after = await client.send(
        siteSchema,
        'PATCH',
        `/sites/${encodeURIComponent(site.id)}`,
        parsed.data,
        undefined,
        { 'if-match': etagOf(base) },
      );
      client.store.seed('site', [after]);
      onClose();
    } catch (err) {
      const refused = refusal(err);
      if (refused.theirs) client.store.seed('site', [refused.theirs]);
      setTheirs(refused.theirs ?? null);
      setErrors(refused.errors ?? {});
      setMessage(refused.message ?? null);
    } finally {
      setBusy(false);
    }
  };

  const set = (f: Field) => (value: string) => setDraft((d) => ({ ...d, [f]: value }));
  const field = (f: Field, extra?: React.InputHTMLAttributes<HTMLInputElement>) => (
    <FormField f={f} uid={uid} value={draft[f]} error={errors[f]} onChange={set(f)} extra={extra} />
  );

  return (
    <form
      className={styles.edit}
      aria-label={`edit site ${site.id}`}
      data-testid="site-edit-form"
      noValidate
      onSubmit={(ev) => {
        ev.preventDefault();
        void submit();
      }}
    >
      {theirs && (
        <Conflict
          base={base}
          theirs={theirs}
          onKeep={() => {
            // Your edits (the fields you changed from the copy you opened) on top of their version:
            // every other field takes theirs, so Save sends only yours, with the new ETag.
            const [mine, now] = [draftOf(base), draftOf(theirs)];
            setDraft((d) => {
              const next = { ...now };
              for (const f of Object.keys(LABELS) as Field[]) if (d[f] !== mine[f]) next[f] = d[f];
              return next;
            });
            setBase(theirs);
            setTheirs(null);
            setErrors({});
            setMessage('Your changes are kept on top of the current version: check them and save again.');
          }}
          onDiscard={() => {
            setBase(theirs);
            setDraft(draftOf(theirs));
            setTheirs(null);
            setErrors({});
            setMessage(null);
          }}
        />
      )}
      {field('name')}
      {field('timezone')}
      {field('region', { autoCapitalize: 'characters' })}
      {field('network_server', { autoCapitalize: 'none', spellCheck: false, inputMode: 'url' })}
      <fieldset className={styles.location}>
        <legend>Location</legend>
        {field('lat', { inputMode: 'decimal' })}
        {field('lon', { inputMode: 'decimal' })}
      </fieldset>
      {field('lan_notes')}
      {(errors.form || message) && (
        <p
          className={errors.form ? styles.fieldError : styles.hint}
          role={errors.form ? 'alert' : 'status'}
          data-testid="site-edit-message"
        >
          {errors.form ?? message}
        </p>
      )}
      <div className={styles.actions}>
        <button
          type="submit"
          className={styles.primary}
          disabled={busy || theirs !== null}
          data-testid="site-edit-save"
        >
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className={styles.secondary} onClick={onClose} data-testid="site-edit-cancel">
          Cancel
        </button>
      </div>
    </form>
  );
}

/** After a 412: what the site says now where it differs from the copy the form opened on. */
function Conflict({
  base,
  theirs,
  onKeep,
  onDiscard,
}: {
  base: Site;
  theirs: Site;
  onKeep: () => void;
  onDiscard: () => void;
}): ReactNode {
  const changed = (Object.keys(LABELS) as Field[]).filter((f) => shown(theirs, f) !== shown(base, f));
  return (
    <div className={styles.conflict} role="alert" data-testid="site-edit-conflict">
      <p>
        <strong>This site was changed by someone else since you opened it.</strong> Nothing of yours was saved.
        {changed.length > 0 ? ' What it says now:' : ''}
      </p>
      {changed.length > 0 && (
        <dl className={styles.theirs}>
          {changed.map((f) => (
            <div key={f}>
              <dt>{LABELS[f]}</dt>
              <dd data-theirs={f}>{shown(theirs, f) || 'not set'}</dd>
            </div>
          ))}
        </dl>
      )}
      <div className={styles.actions}>
        <button type="button" className={styles.primary} data-testid="site-edit-reapply" onClick={onKeep}>
          Keep my changes on top
        </button>
        <button type="button" className={styles.secondary} data-testid="site-edit-take-theirs" onClick={onDiscard}>
          Discard mine
        </button>
      </div>
    </div>
  );
}

/** One labelled field with its hint and its error (from the schema or the API), tied by aria-describedby. */
function FormField({
  f,
  uid,
  value,
  error,
  onChange,
  extra = {},
}: {
  f: Field;
  uid: string;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
  extra?: React.InputHTMLAttributes<HTMLInputElement>;
}): ReactNode {
  const id = `${uid}-${f}`;
  const described = [HINTS[f] ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const common = {
    id,
    name: f,
    value,
    className: styles.input,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': described || undefined,
    'data-testid': `site-edit-${f}`,
  } as const;
  return (
    <div className={styles.field}>
      <label htmlFor={id}>{LABELS[f]}</label>
      {f === 'lan_notes' ? (
        <textarea {...common} rows={5} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input type="text" autoComplete="off" {...common} {...extra} onChange={(e) => onChange(e.target.value)} />
      )}
      {HINTS[f] && (
        <span id={`${id}-hint`} className={styles.hint}>
          {HINTS[f]}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className={styles.fieldError} data-testid={`site-edit-${f}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}
