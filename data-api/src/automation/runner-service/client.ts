// The runner service's own calls to the API (claim, heartbeat, schedule slots). Write-backs of
// a run go through the journal and the HTTP reporter (automation/journal.ts), not through here.
// URLs come from contracts/automation-write-back.ts, bodies from contracts/automation-runs.ts.
import { apiUrl, automationRoutes } from '../../contracts/automation-write-back.ts';
import { fetchFailure } from '../../kernel/api-client.ts';
import type {
  AutomationRun,
  ClaimBody,
  ResumeBody,
  ScheduleFireBody,
  ScheduleFireResult,
} from '../../contracts/automation-runs.ts';

export class ApiCallError extends Error {
  constructor(
    message: string,
    /** 0: no answer (refused, timed out). */
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

export interface RunnerClientOptions {
  api: string;
  token?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class RunnerClient {
  private readonly fetchImpl: typeof fetch;
  constructor(private readonly opts: RunnerClientOptions) {
    this.fetchImpl = opts.fetch ?? fetch;
  }

  private async post<T>(urlPath: string, body: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(apiUrl(this.opts.api, urlPath), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new ApiCallError(`POST ${urlPath}: ${fetchFailure(err)}`, 0);
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not JSON
      }
      throw new ApiCallError(`POST ${urlPath}: HTTP ${res.status} ${message}`, res.status);
    }
    return JSON.parse(text) as T;
  }

  /** 1 when some run waits for a runner (queued by the queue or a schedule), else 0. */
  async queuedCount(): Promise<number> {
    const res = await this.fetchImpl(
      apiUrl(this.opts.api, `${automationRoutes.createRun()}?state=queued&source=queue,schedule&limit=1`),
      {
        headers: this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {},
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      },
    );
    if (!res.ok) throw new ApiCallError(`GET queued runs: HTTP ${res.status}`, res.status);
    return ((await res.json()) as { items: unknown[] }).items.length;
  }

  async claim(body: ClaimBody): Promise<AutomationRun | null> {
    return (await this.post<{ run: AutomationRun | null }>(automationRoutes.claim(), body)).run;
  }

  /** Picks up a run this runner (or a lost one) left mid-run; 409 (ApiCallError) when it is not ours to resume. */
  resume(runId: string, body: ResumeBody): Promise<AutomationRun> {
    return this.post(automationRoutes.resume(runId), body);
  }

  heartbeat(runId: string, runner: string): Promise<{ lease_expires_at: string | null }> {
    return this.post(automationRoutes.heartbeat(runId), { runner });
  }

  fireSchedule(body: ScheduleFireBody): Promise<ScheduleFireResult> {
    return this.post(automationRoutes.scheduleFires(), body);
  }
}
