// Who may receive a change event on the stream (contracts.md: a customer-scoped token sees
// only its customer's events, the stream included).

/**
 * Most events: an unscoped client sees every event, a scoped one only its customer's.
 * Surface data (`surface.updated`, kind `data`) is different: the publisher computes it for
 * one audience, recorded as the event's customer (null: unscoped), and it goes to exactly
 * that audience. A scoped client thus never receives data computed for everyone or for
 * another customer, and an unscoped client's surface is never overwritten by one customer's
 * subset. A surface definition change carries no data ("re-read it"): everyone gets it.
 */
export function visibleTo(
  clientCustomerId: string | null,
  event: { type: string; customerId: string | null; payload: Record<string, unknown> },
): boolean {
  if (event.type === 'surface.updated')
    return event.payload.kind === 'definition' || clientCustomerId === event.customerId;
  return clientCustomerId === null || clientCustomerId === event.customerId;
}
