// The silences API as the `fleetbook silence` CLI calls it (kernel/api-client.ts).
import { ApiClient } from '../kernel/api-client.ts';
import { silenceList, silenceSchema, type SilenceCreate } from '../contracts/notifications.ts';

export class SilencesClient extends ApiClient {
  list(states: string) {
    return this.call('GET', `/silences?state=${encodeURIComponent(states)}`, silenceList);
  }
  create(body: SilenceCreate) {
    return this.call('POST', '/silences', silenceSchema, body);
  }
  expire(id: string) {
    return this.call('DELETE', `/silences/${encodeURIComponent(id)}`, silenceSchema);
  }
}
