import { errorSchema } from '../../contracts/errors.ts';

// The error body of every route (the ErrorBody of ./index.ts), listed once per route so the
// OpenAPI document names each status a client must handle.
export const ERROR_RESPONSES = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
} as const;
