// Work items (domain.md "work item"): tickets and tasks with an owner, a due date, a priority,
// links to what they are about, comments and evidence attachments. Shared by the API, the
// OpenAPI document, the CLI, the runner and the browser (WorkBoard): zod only, no server-only
// imports.
import { z } from 'zod';
import { itemIdSchema } from './executions.ts';
import { deviceIdSchema, idSchema } from './ids.ts';
import { pageQuery } from './pagination.ts';
import { isoDate, isoDateTime, queryFlag } from './primitives.ts';

export const WORK_ITEM_KINDS = ['ticket', 'task'] as const;
export const WORK_ITEM_STATES = ['open', 'in_progress', 'blocked', 'done', 'cancelled'] as const;
/** States in which an item still needs someone: "my work", the board's active columns. */
export const ACTIVE_WORK_ITEM_STATES = ['open', 'in_progress', 'blocked'] as const;
/** Entering one of these sets `closed_at`; leaving it (a reopen) clears it. */
export const CLOSED_WORK_ITEM_STATES = ['done', 'cancelled'] as const;
/** Most urgent first, the order the board sorts by. */
export const WORK_ITEM_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
/** Where an item came from: a person, a runbook item, automation (open_ticket_on_failure), an alert. */
export const WORK_ITEM_ORIGINS = ['manual', 'runbook', 'automation', 'alert'] as const;
export const ATTACHMENT_KINDS = ['photo', 'file'] as const;

export type WorkItemKind = (typeof WORK_ITEM_KINDS)[number];
export type WorkItemState = (typeof WORK_ITEM_STATES)[number];
export type WorkItemPriority = (typeof WORK_ITEM_PRIORITIES)[number];

/** An automation ticket's severity becomes the work item's priority. */
export const PRIORITY_OF_SEVERITY: Record<'critical' | 'warning' | 'info', WorkItemPriority> = {
  critical: 'urgent',
  warning: 'high',
  info: 'normal',
};

export const workItemIdSchema = idSchema('workItem');
export const attachmentIdSchema = idSchema('evidence');

const timestamp = isoDateTime;
const date = isoDate;
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);
/** A person: the token name or the SSO user, as /whoami reports it. */
export const ownerSchema = text(100).describe('a person: the token name or SSO user /whoami reports');

/** What an item is about. Broader links are completed from narrower ones by the API. */
export const LINK_FIELDS = [
  'customer_id',
  'site_id',
  'deployment_id',
  'device_id',
  'alert_id',
  'runbook_execution_id',
  'runbook_item_id',
  'automation_run_id',
] as const;
export type LinkField = (typeof LINK_FIELDS)[number];

const linkIds = {
  customer_id: idSchema('customer'),
  site_id: idSchema('site'),
  deployment_id: idSchema('deployment'),
  device_id: deviceIdSchema,
  alert_id: idSchema('alert'),
  runbook_execution_id: idSchema('execution'),
  runbook_item_id: itemIdSchema.describe('a checklist item of runbook_execution_id'),
  automation_run_id: idSchema('automationRun'),
};

export const workItemLinksSchema = z
  .object({
    customer_id: linkIds.customer_id.nullable(),
    site_id: linkIds.site_id.nullable(),
    deployment_id: linkIds.deployment_id.nullable(),
    device_id: linkIds.device_id.nullable(),
    alert_id: linkIds.alert_id.nullable(),
    runbook_execution_id: linkIds.runbook_execution_id.nullable(),
    runbook_item_id: linkIds.runbook_item_id.nullable(),
    automation_run_id: linkIds.automation_run_id.nullable(),
  })
  .meta({ id: 'WorkItemLinks' });

/**
 * Links as written: each one optional; null removes it. The API fills in the broader links
 * (a device gives its deployment, site and customer) and refuses links that disagree (409).
 */
export const workItemLinksInputSchema = z.strictObject({
  customer_id: linkIds.customer_id.nullable().optional(),
  site_id: linkIds.site_id.nullable().optional(),
  deployment_id: linkIds.deployment_id.nullable().optional(),
  device_id: linkIds.device_id.nullable().optional(),
  alert_id: linkIds.alert_id.nullable().optional(),
  runbook_execution_id: linkIds.runbook_execution_id.nullable().optional(),
  runbook_item_id: linkIds.runbook_item_id.nullable().optional(),
  automation_run_id: linkIds.automation_run_id.nullable().optional(),
});
export type WorkItemLinksInput = z.infer<typeof workItemLinksInputSchema>;

export const externalRefSchema = z.strictObject({
  system: text(50).describe('the tracker, e.g. jira, github, servicenow'),
  key: z.string().trim().min(1).max(100).nullable().default(null).describe('its key, e.g. OPS-123'),
  url: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .max(2000)
    .nullable()
    .default(null),
});
export type ExternalRefInput = z.input<typeof externalRefSchema>;

export const workItemCommentSchema = z
  .object({ id: z.number().int(), author: z.string(), body: z.string(), created_at: timestamp })
  .meta({ id: 'WorkItemComment' });

export const workItemAttachmentSchema = z
  .object({
    id: attachmentIdSchema,
    kind: z.enum(ATTACHMENT_KINDS),
    filename: z.string().nullable(),
    content_type: z.string().describe('sniffed from the bytes, never the declared type'),
    size: z.number().int(),
    sha256: z.string(),
    added_by: z.string(),
    added_at: timestamp,
    url: z.string().describe('API path of the bytes'),
  })
  .meta({ id: 'WorkItemAttachment' });

const itemFields = {
  id: workItemIdSchema,
  kind: z.enum(WORK_ITEM_KINDS),
  title: z.string(),
  description: z.string().nullable(),
  state: z.enum(WORK_ITEM_STATES),
  owner: z.string().nullable(),
  due: date.nullable(),
  priority: z.enum(WORK_ITEM_PRIORITIES),
  origin: z.enum(WORK_ITEM_ORIGINS),
  links: workItemLinksSchema,
  external_ref: z.object({ system: z.string(), key: z.string().nullable(), url: z.string().nullable() }).nullable(),
  comment_count: z.number().int(),
  attachment_count: z.number().int(),
  created_by: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
  closed_at: timestamp.nullable(),
  version: z.number().int().describe('bumped by every change; pass it back as if_version to refuse stale writes'),
};

/** An item in a list and in change events. */
export const workItemSchema = z.object(itemFields).meta({ id: 'WorkItem' });
/** One item: with its comments (oldest first) and attachments. */
export const workItemDetailSchema = z
  .object({ ...itemFields, comments: z.array(workItemCommentSchema), attachments: z.array(workItemAttachmentSchema) })
  .meta({ id: 'WorkItemDetail' });

export type WorkItem = z.infer<typeof workItemSchema>;
export type WorkItemDetail = z.infer<typeof workItemDetailSchema>;
export type WorkItemComment = z.infer<typeof workItemCommentSchema>;
export type WorkItemAttachment = z.infer<typeof workItemAttachmentSchema>;

const description = z.string().max(20_000, 'at most 20,000 characters');

export const workItemCreateSchema = z
  .strictObject({
    id: workItemIdSchema.optional().describe('choose the id (wi_…) to make a retry safe: a repeat answers 409'),
    kind: z.enum(WORK_ITEM_KINDS).default('task'),
    title: text(300),
    description: description.nullable().optional(),
    state: z.enum(WORK_ITEM_STATES).default('open'),
    owner: ownerSchema.nullable().optional(),
    due: date.nullable().optional(),
    priority: z.enum(WORK_ITEM_PRIORITIES).default('normal'),
    links: workItemLinksInputSchema.optional(),
    external_ref: externalRefSchema.nullable().optional(),
  })
  .meta({ id: 'WorkItemCreate' });
export type WorkItemCreate = z.infer<typeof workItemCreateSchema>;

export const workItemUpdateSchema = z
  .strictObject({
    kind: z.enum(WORK_ITEM_KINDS).optional(),
    title: text(300).optional(),
    description: description.nullable().optional(),
    state: z.enum(WORK_ITEM_STATES).optional(),
    owner: ownerSchema.nullable().optional(),
    due: date.nullable().optional(),
    priority: z.enum(WORK_ITEM_PRIORITIES).optional(),
    links: workItemLinksInputSchema.optional(),
    external_ref: externalRefSchema.nullable().optional(),
    if_version: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('refuse the change (409) unless the item is at this version'),
  })
  .meta({ id: 'WorkItemUpdate' });
export type WorkItemUpdate = z.infer<typeof workItemUpdateSchema>;

export const workItemCommentCreateSchema = z.strictObject({ body: text(10_000) }).meta({ id: 'WorkItemCommentCreate' });

const commaList = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z
    .string()
    .max(200)
    .transform((s, ctx) => {
      const parts = s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      const bad = parts.filter((p) => !(values as readonly string[]).includes(p));
      if (bad.length > 0 || parts.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown ${what} ${bad.join(', ') || '(empty)'}: expected a comma list of ${values.join(', ')}`,
        });
        return z.NEVER;
      }
      return parts as T[number][];
    });

export const workItemListQuery = {
  ...pageQuery,
  state: commaList(WORK_ITEM_STATES, 'state').optional().describe('comma list, e.g. open,in_progress,blocked'),
  kind: z.enum(WORK_ITEM_KINDS).optional(),
  priority: commaList(WORK_ITEM_PRIORITIES, 'priority').optional(),
  owner: z.string().trim().min(1).max(100).optional().describe('a person, or `me` for the caller (my work)'),
  unowned: queryFlag.optional().describe('true: only items without owner'),
  origin: z.enum(WORK_ITEM_ORIGINS).optional(),
  customer_id: linkIds.customer_id.optional(),
  site_id: linkIds.site_id.optional(),
  deployment_id: linkIds.deployment_id.optional(),
  device_id: linkIds.device_id.optional(),
  alert_id: linkIds.alert_id.optional(),
  runbook_execution_id: linkIds.runbook_execution_id.optional(),
  automation_run_id: linkIds.automation_run_id.optional(),
  closed_since: timestamp
    .optional()
    .describe('leave out items closed before this time (the board: recent done work only)'),
  q: z.string().trim().min(1).max(100).optional().describe('text search in id and title'),
};
export const workItemListQuerySchema = z.strictObject(workItemListQuery);
export type WorkItemListQuery = z.infer<typeof workItemListQuerySchema>;

export const workItemPageSchema = z
  .object({ items: z.array(workItemSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'WorkItemPage' });

export const attachmentUploadQuery = z.strictObject({
  kind: z
    .enum(ATTACHMENT_KINDS)
    .default('file')
    .describe('photo: JPEG, PNG, WebP or HEIC by magic bytes; file: the allow-list'),
});

/** The change-event types of work items (subject type `work_item`, topic family `work_item`). */
export const WORK_ITEM_SUBJECT = 'work_item';

export const workItemParams = z.object({ id: workItemIdSchema });
export const workItemAttachmentParams = z.object({ id: workItemIdSchema, attachment_id: attachmentIdSchema });
