import React, { useEffect, useState, type ReactNode } from 'react';
import { DeviceHealth } from '../DeviceHealth/index.tsx';
import { TelemetryChart } from '../TelemetryChart/index.tsx';
import { frameStyles as s } from '../shared/WidgetFrame.tsx';

export interface DeviceUnderTestProps {
  /** Product code of the runbook, e.g. `pump-ctl`. */
  product: string;
  /** Metrics to chart, first ones first (the catalog's). */
  metrics?: string[];
}

const DEVICE_ID = /^(dev|gw)_[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const storageKey = (product: string) => `fleetbook.device-under-test.${product}`;

/**
 * The board a bring-up runbook is about: its id typed once (or `?device=` in the URL), then its
 * health, latest metrics and a live chart, next to the checklist.
 */
export function DeviceUnderTest({ product, metrics = [] }: DeviceUnderTestProps): ReactNode {
  const [device, setDevice] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [metric, setMetric] = useState(metrics[0] ?? '');

  useEffect(() => {
    const fromUrl = new URLSearchParams(window.location.search).get('device');
    const initial = fromUrl && DEVICE_ID.test(fromUrl) ? fromUrl : window.localStorage.getItem(storageKey(product));
    if (initial) {
      setDevice(initial);
      setDraft(initial);
    }
  }, [product]);

  const choose = (id: string) => {
    setDevice(id);
    window.localStorage.setItem(storageKey(product), id);
  };
  const valid = DEVICE_ID.test(draft.trim());

  return (
    <section className={s.frame} data-testid="device-under-test" data-device={device ?? ''}>
      <header className={s.header}>
        <h3 className={s.title}>Board under test</h3>
        <form
          className={s.toolbar}
          onSubmit={(e) => {
            e.preventDefault();
            if (valid) choose(draft.trim());
          }}
        >
          <input
            className={s.input}
            aria-label="device id"
            placeholder={`dev_… (a ${product} device)`}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            data-testid="device-under-test-input"
          />
          <button type="submit" className={s.button} disabled={!valid} data-testid="device-under-test-show">
            Show
          </button>
        </form>
      </header>
      {!device && (
        <p className={s.note}>Type the device id of the board on the bench (as registered, e.g. dev_bench-pump-001).</p>
      )}
      {draft && !valid && <p className={s.error}>Expected a device id: dev_… or gw_…</p>}
      {device && (
        <>
          <DeviceHealth device={device} metrics={metrics} />
          {metrics.length > 0 && (
            <>
              <label className={s.muted}>
                chart{' '}
                <select
                  className={s.select}
                  value={metric}
                  onChange={(e) => setMetric(e.target.value)}
                  data-testid="device-under-test-metric"
                >
                  {metrics.map((m) => (
                    <option key={m} value={m}>
                      {m}
                    </option>
                  ))}
                </select>
              </label>
              <TelemetryChart device={device} metric={metric} range="1h" />
            </>
          )}
        </>
      )}
    </section>
  );
}

export default DeviceUnderTest;
