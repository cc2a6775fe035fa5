import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import {
  appendTimelineBodySchema,
  attachArtifactBodySchema,
  createRunBodySchema,
  finishRunBodySchema,
  openTicketBodySchema,
} from '../../data-api/src/contracts/automation-write-back.ts';

/**
 * A tiny local HTTP server standing in for the fleetbook API where the runner meets it: the
 * registry's `GET /api/v1/devices/:id` (device_up checks) and the automation write-back routes
 * the HTTP reporter calls. Bodies are validated with the same schemas the API will use.
 * `stop()` closes the port (the API is unreachable), `start()` opens the same port again.
 */
export interface FakeApiCall {
  method: string;
  path: string;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  body: unknown;
  status: number;
}

export interface FakeFleetApi {
  url: string;
  port: number;
  calls: FakeApiCall[];
  devices: Map<string, 'up' | 'down' | 'unknown'>;
  runs: Map<
    string,
    { created: unknown; timeline: unknown[]; artifacts: unknown[]; tickets: unknown[]; finish?: unknown }
  >;
  /** The next n write-back requests answer 503. */
  failNext(n: number): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const routes: Array<[RegExp, string, z.ZodType | null]> = [
  [/^\/api\/v1\/automation-runs$/, 'create', createRunBodySchema],
  [/^\/api\/v1\/automation-runs\/([^/]+)\/timeline$/, 'timeline', appendTimelineBodySchema],
  [/^\/api\/v1\/automation-runs\/([^/]+)\/artifacts$/, 'artifacts', attachArtifactBodySchema],
  [/^\/api\/v1\/automation-runs\/([^/]+)\/finish$/, 'finish', finishRunBodySchema],
  [/^\/api\/v1\/automation-runs\/([^/]+)\/tickets$/, 'tickets', openTicketBodySchema],
];

export async function startFakeFleetApi(opts: { token?: string; port?: number } = {}): Promise<FakeFleetApi> {
  const calls: FakeApiCall[] = [];
  const devices = new Map<string, 'up' | 'down' | 'unknown'>();
  const runs: FakeFleetApi['runs'] = new Map();
  let failing = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      let body: unknown = undefined;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      const send = (status: number, payload: unknown) => {
        calls.push({
          method: req.method ?? '',
          path,
          authorization: req.headers.authorization,
          idempotencyKey: req.headers['idempotency-key'] as string | undefined,
          body,
          status,
        });
        res.statusCode = status;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(payload));
      };
      if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`)
        return send(401, { error: 'unauthorized' });

      const device = /^\/api\/v1\/devices\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && device) {
        const status = devices.get(decodeURIComponent(device[1]!));
        if (!status) return send(404, { error: 'not_found' });
        return send(200, { id: decodeURIComponent(device[1]!), status, observed_state: { status } });
      }
      if (req.method !== 'POST') return send(404, { error: 'not_found' });
      for (const [re, kind, schema] of routes) {
        const m = re.exec(path);
        if (!m) continue;
        if (failing > 0) {
          failing--;
          return send(503, { error: 'unavailable' });
        }
        const parsed = schema!.safeParse(body);
        if (!parsed.success)
          return send(400, {
            error: 'validation',
            issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
          });
        if (kind === 'create') {
          const id = (body as { id: string }).id;
          if (runs.has(id)) return send(409, { error: 'conflict' });
          runs.set(id, { created: body, timeline: [], artifacts: [], tickets: [] });
          return send(201, { id });
        }
        const run = runs.get(decodeURIComponent(m[1]!));
        if (!run) return send(404, { error: 'not_found' });
        if (kind === 'timeline') run.timeline.push(...(body as { entries: unknown[] }).entries);
        else if (kind === 'artifacts') run.artifacts.push(body);
        else if (kind === 'tickets') run.tickets.push(body);
        else run.finish = body;
        return send(kind === 'finish' ? 200 : 201, { ok: true });
      }
      send(404, { error: 'not_found' });
    });
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(opts.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    devices,
    runs,
    failNext: (n) => {
      failing = n;
    },
    stop,
    start: () => listen(port),
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
