/** One JSON call to a running API over real HTTP, as the browser and scripts make it. */
export async function requestJson(
  url: string,
  options: { method?: string; token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; type: string | null; etag: string | null }> {
  const { method = 'GET', token = null, body } = options;
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? JSON.parse(text) : null,
    type: res.headers.get('content-type'),
    etag: res.headers.get('etag'),
  };
}
