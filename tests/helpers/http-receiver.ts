// A local HTTP server that records every request and answers as told, including the ways a
// receiver goes wrong: an error status, an answer that comes too late, a 10 MB answer, an
// answer that never ends, no answer at all. The channel stand-ins (webhook, Slack, WhatsApp)
// are built on it and add the checks of their published formats.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
  /** What the stand-in found wrong with the request against the published format (empty: conforms). */
  problems: string[];
  at: number;
}

export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Answer correctly, but only after `ms`. */
  | { kind: 'delay'; ms: number }
  /** Accept the request and never send a byte back. */
  | { kind: 'hang' }
  /** 200 and a body of `bytes` (default 10 MB), streamed. */
  | { kind: 'huge'; bytes?: number; status?: number }
  /** 200, headers sent, then a byte a second forever. */
  | { kind: 'endless'; status?: number };

export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface ReceiverStats {
  /** Answers of the `huge` fault that were sent to their end (a client that stops reading leaves them unfinished). */
  hugeFinished: number;
  hugeStarted: number;
  /** Bytes the `huge`/`endless` answers managed to write before the client went away. */
  bytesWritten: number;
}

export interface HttpReceiver {
  url: string;
  port: number;
  requests: RecordedRequest[];
  stats: ReceiverStats;
  /** Faults used in turn for the next requests, then `answer` again. */
  failNext(...faults: Fault[]): void;
  close(): Promise<void>;
}

export async function startHttpReceiver(
  check: (req: Omit<RecordedRequest, 'problems' | 'at'>) => string[],
  answer: (req: RecordedRequest) => Answer,
): Promise<HttpReceiver> {
  const requests: RecordedRequest[] = [];
  const queue: Fault[] = [];
  const stats: ReceiverStats = { hugeFinished: 0, hugeStarted: 0, bytesWritten: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const base = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
      const recorded: RecordedRequest = { ...base, problems: check(base), at: Date.now() };
      requests.push(recorded);
      const fault = queue.shift();
      const respond = (a: Answer) => {
        if (res.destroyed) return;
        res.writeHead(a.status, { 'content-type': 'text/plain; charset=utf-8', ...a.headers });
        res.end(a.body);
      };
      if (!fault) return respond(answer(recorded));
      switch (fault.kind) {
        case 'status':
          return respond({ status: fault.status, body: fault.body ?? `error ${fault.status}`, headers: fault.headers });
        case 'delay': {
          const t = setTimeout(() => respond(answer(recorded)), fault.ms);
          timers.add(t);
          return;
        }
        case 'hang':
          return;
        case 'huge': {
          stats.hugeStarted++;
          let left = fault.bytes ?? 10 * 1024 * 1024;
          const chunk = Buffer.alloc(64 * 1024, 'x');
          res.writeHead(fault.status ?? 200, { 'content-type': 'text/plain', 'content-length': String(left) });
          const pump = () => {
            while (left > 0 && !res.destroyed) {
              const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
              left -= part.length;
              stats.bytesWritten += part.length;
              if (!res.write(part)) return void res.once('drain', pump);
            }
            if (left === 0 && !res.destroyed) res.end(() => stats.hugeFinished++);
          };
          res.on('close', () => undefined);
          return pump();
        }
        case 'endless': {
          res.writeHead(fault.status ?? 200, { 'content-type': 'text/plain' });
          res.flushHeaders();
          const t = setInterval(() => {
            if (res.destroyed) return clearInterval(t);
            stats.bytesWritten += 1;
            res.write('.');
          }, 1000);
          timers.add(t);
          res.on('close', () => clearInterval(t));
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    stats,
    failNext: (...faults) => queue.push(...faults),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
