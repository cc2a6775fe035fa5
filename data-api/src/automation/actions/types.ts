import type { ActionSpec, ExecutionSpec } from '../../contracts/execution-spec.ts';
import type { RunReporter } from '../journal.ts';
import type { SecretResolver } from '../secrets.ts';
import type { ActionDefinition } from '../../contracts/actions/shared.ts';

/** What an action gets when it runs: its validated `with`, a log, a cancel signal, secrets, the reporter. */
export interface ActionContext<W = unknown> {
  runId: string;
  spec: ExecutionSpec;
  action: ActionSpec;
  with: W;
  attempt: number;
  /** Aborted on the action's timeout: stop waiting, kill children, close sockets. */
  signal: AbortSignal;
  /** One line of the action's log (shown in the run page, scrubbed of resolved secrets). */
  log(line: string): void;
  secrets: SecretResolver;
  reporter: RunReporter;
  env: NodeJS.ProcessEnv;
  /** Keep a file of this action as a run artifact (written beside the run page, reported to the API). */
  artifact(name: string, content: string | Buffer, contentType?: string): Promise<string>;
  /** Outputs of the actions that ran before, by action id. */
  outputs: Readonly<Record<string, Record<string, unknown>>>;
  /** For open_ticket_on_failure: the action that failed. */
  failure?: { action_id: string; type: string; error: string };
}

export interface ActionResult {
  /** Facts for later actions and the run page (e.g. the VM id and address). */
  outputs?: Record<string, unknown>;
  /** One line for the timeline. */
  summary?: string;
}

export interface ActionModule<W = any> {
  definition: ActionDefinition;
  execute(ctx: ActionContext<W>): Promise<ActionResult | void>;
  /** --dry-run: what the action would do, without doing it. */
  plan(withValue: W, spec: ExecutionSpec): string[];
}

/** An error whose message is already the whole story (no stack in logs). */
export class ActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionError';
  }
}
