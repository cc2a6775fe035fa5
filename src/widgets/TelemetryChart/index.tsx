import React, { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useColorMode } from '@docusaurus/theme-common';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useConnection, useLiveResource, useLiveTopics } from '../../data/useLive.ts';
import { parseDuration } from '../shared/format.ts';
import { frameStyles as s, WidgetFrame } from '../shared/WidgetFrame.tsx';
import { telemetrySeries } from '../../../data-api/src/contracts/telemetry.ts';
import { appendSample, autoBucket, seriesPoints, type Point } from './series.ts';

export interface TelemetryChartProps {
  device: string;
  /** Metric name, e.g. `soil_moisture_pct`. */
  metric: string;
  /** How far back, e.g. `24h`, `7d`. */
  range?: string;
  /** Server-side bucket, e.g. `5m`, `1h` (default: about 120 points over the range). */
  bucket?: string;
  title?: ReactNode;
  height?: number;
}

/** The end of a chart's window: the next whole minute (so the path is stable between renders). */
const windowEnd = () => Math.ceil(Date.now() / 60_000) * 60_000;

/** A metric over time: server-side buckets by REST, then live samples appended as they arrive. */
export function TelemetryChart({
  device,
  metric,
  range = '24h',
  bucket,
  title,
  height = 240,
}: TelemetryChartProps): ReactNode {
  const rangeMs = parseDuration(range) ?? 86_400_000;
  const b = bucket ?? autoBucket(rangeMs);
  const bucketMs = parseDuration(b) ?? 0;
  // The window ends at the next whole minute when the chart mounts, and again when the page's
  // live connection recovers (back online, or the stream reset: `epoch`); live samples extend it
  // in between. So the re-read after an outage covers it (architecture.md: a reconnecting chart
  // re-reads its range by REST), instead of replacing what the chart drew live since it mounted
  // with the range as it was at mount.
  const { epoch } = useConnection();
  const [span, setSpan] = useState(() => ({ epoch, to: windowEnd() }));
  if (span.epoch !== epoch) setSpan({ epoch, to: windowEnd() });
  const to = span.to;
  const from = to - rangeMs;
  const path = `/devices/${encodeURIComponent(device)}/telemetry?metric=${encodeURIComponent(metric)}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&bucket=${b}`;
  const res = useLiveResource(path, telemetrySeries, { missingIsUnavailable: true });
  const [points, setPoints] = useState<Point[]>([]);
  const [liveCount, setLiveCount] = useState(0);

  useEffect(() => {
    if (res.status === 'ready') setPoints(seriesPoints(res.data));
  }, [res.status, res.data]);

  useLiveTopics([`device:${device}`], {
    onTelemetry: (sample) => {
      const v = sample.metrics[metric];
      if (sample.device_id !== device || typeof v !== 'number') return;
      setPoints((cur) => appendSample(cur, sample.ts * 1000, v, bucketMs, Date.now() - rangeMs));
      setLiveCount((n) => n + 1);
    },
  });

  const { colorMode } = useColorMode();
  const dark = colorMode === 'dark';
  const colors = {
    line: dark ? '#4cc38a' : '#1f7a4d',
    grid: dark ? '#444950' : '#dadde1',
    text: dark ? '#c4c7cc' : '#525860',
  };
  const last = points[points.length - 1];
  const fmt = useMemo(
    () =>
      (rangeMs > 2 * 86_400_000
        ? { month: 'short', day: 'numeric' }
        : { hour: '2-digit', minute: '2-digit' }) as Intl.DateTimeFormatOptions,
    [rangeMs],
  );

  return (
    <WidgetFrame
      name="TelemetryChart"
      testId="telemetry-chart"
      title={title ?? `${metric} · ${device}`}
      toolbar={
        <span className={s.muted}>
          {range}, {b} buckets{last ? ` · latest ${Number(last.v.toFixed(2))}` : ''}
        </span>
      }
      state={res}
      connection={res.connection}
      empty={res.status === 'ready' && points.length === 0}
      emptyText={`No ${metric} data from ${device} in the last ${range}.`}
      refused={{ lead: `No chart for ${device}`, byId: true }}
      data={{
        device,
        metric,
        points: points.length,
        'live-samples': liveCount,
        latest: last ? last.v : '',
        to: new Date(to).toISOString(),
      }}
    >
      <div style={{ width: '100%', height }} data-testid="telemetry-chart-plot">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} margin={{ top: 8, right: 12, bottom: 4, left: 0 }}>
            <CartesianGrid stroke={colors.grid} strokeDasharray="3 3" />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={['dataMin', 'dataMax']}
              tickFormatter={(t: number) => new Date(t).toLocaleString(undefined, fmt)}
              stroke={colors.text}
              fontSize={11}
              minTickGap={24}
            />
            <YAxis stroke={colors.text} fontSize={11} width={44} domain={['auto', 'auto']} />
            <Tooltip
              labelFormatter={(t) => new Date(Number(t)).toLocaleString()}
              formatter={(v) => [Number(Number(v).toFixed(3)), metric]}
              contentStyle={{
                background: dark ? '#242526' : '#fff',
                border: `1px solid ${colors.grid}`,
                color: colors.text,
              }}
            />
            <Line
              type="monotone"
              dataKey="v"
              stroke={colors.line}
              strokeWidth={2}
              dot={points.length < 40}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </WidgetFrame>
  );
}

export default TelemetryChart;
