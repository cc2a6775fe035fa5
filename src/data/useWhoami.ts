import { identitySchema } from '../../data-api/src/contracts/auth.ts';
import { useLiveResource } from './useLive.ts';

export { canEditRegistry, canOperate } from '../../data-api/src/contracts/auth.ts';

/** Who the API thinks this page is (token from localStorage, proxy identity, or open localhost read). */
export function useWhoami() {
  return useLiveResource('/whoami', identitySchema);
}
