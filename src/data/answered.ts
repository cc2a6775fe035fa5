// Pure: what the API said when it refused a read, from its error body parsed with the contract's
// error schema (`{ error, message?, issues? }`), never guessed from the status alone.
import { errorSchema } from '../../data-api/src/contracts/errors.ts';
import { ApiRequestError } from './client.ts';

/** The API's own message for a refused read (`device gw_x not found`), or null when it sent none. */
export function answeredMessage(err: Error | null): string | null {
  if (!(err instanceof ApiRequestError)) return null;
  const body = errorSchema.safeParse(err.body);
  return body.success && body.data.message ? body.data.message : null;
}
