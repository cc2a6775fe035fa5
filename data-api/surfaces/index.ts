// Surfaces defined in the repository (widgets.md). Each is validated when the API starts;
// a surface published at run time (PUT /api/v1/surfaces/:name) overrides one of the same name.
import type { SurfaceDefinitionInput } from '../src/contracts/surfaces.ts';
import { fleetOverview } from './fleet-overview.ts';
import { siteStatus } from './site-status.ts';

export const repositorySurfaces: Record<string, SurfaceDefinitionInput> = {
  'fleet-overview': fleetOverview,
  'site-status': siteStatus,
};
