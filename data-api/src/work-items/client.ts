// The work items API as the `fleetbook work` CLI calls it (kernel/api-client.ts).
import { ApiClient } from '../kernel/api-client.ts';
import {
  workItemCommentSchema,
  workItemDetailSchema,
  workItemPageSchema,
  workItemSchema,
  type WorkItemCreate,
  type WorkItemUpdate,
} from '../contracts/work-items.ts';

export class WorkItemsClient extends ApiClient {
  list(query: URLSearchParams) {
    return this.call('GET', `/work-items?${query.toString()}`, workItemPageSchema);
  }
  get(id: string) {
    return this.call('GET', `/work-items/${encodeURIComponent(id)}`, workItemDetailSchema);
  }
  create(body: WorkItemCreate) {
    return this.call('POST', '/work-items', workItemSchema, body);
  }
  update(id: string, body: WorkItemUpdate) {
    return this.call('PATCH', `/work-items/${encodeURIComponent(id)}`, workItemSchema, body);
  }
  comment(id: string, text: string) {
    return this.call('POST', `/work-items/${encodeURIComponent(id)}/comments`, workItemCommentSchema, { body: text });
  }
}
