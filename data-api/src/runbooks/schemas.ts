// The error answers of the runbooks routes: the shared ones, with the 409 that carries the current item.
import { conflictSchema } from '../contracts/executions.ts';
import { ERROR_RESPONSES } from '../kernel/errors/responses.ts';

export const RESPONSES = {
  ...ERROR_RESPONSES,
  409: conflictSchema,
  413: ERROR_RESPONSES[400],
  415: ERROR_RESPONSES[400],
} as const;
