// A registry page's id, checked against the contract's id schema before any widget asks the API
// with it: a malformed id (`/site?id=nope`) is one clear message, not a request per widget that
// each answer 400.
import { deviceIdSchema, ID_PREFIX, idSchema } from '../../../data-api/src/contracts/ids.ts';
import type { FleetKind } from '../../widgets/shared/FleetLink.tsx';

const SCHEMA = { site: idSchema('site'), deployment: idSchema('deployment'), device: deviceIdSchema };
const EXPECTED: Record<FleetKind, string> = {
  site: `${ID_PREFIX.site}…`,
  deployment: `${ID_PREFIX.deployment}…`,
  device: `${ID_PREFIX.device}… or ${ID_PREFIX.gateway}…`,
};

/** Why `id` cannot be a `kind`'s id (e.g. "nope is not a site id: expected site_…"), or null. */
export const fleetIdProblem = (kind: FleetKind, id: string): string | null =>
  SCHEMA[kind].safeParse(id).success ? null : `${id} is not a ${kind} id: expected ${EXPECTED[kind]}`;
