import { useLiveResource } from '../../data/useLive';

export interface Whoami {
  kind: string;
  name: string;
  role: string;
  customer_id: string | null;
}

/** Who the API thinks this page is (token from localStorage, proxy identity, or open localhost read). */
export function useWhoami() {
  return useLiveResource<Whoami>('/whoami');
}

export const canOperate = (role: string | undefined): boolean => role === 'operator' || role === 'admin';
