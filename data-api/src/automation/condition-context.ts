// What `when:` conditions read for a run: the deployment, its site and the product, from the
// API the run reports to (a viewer read is enough). Without an API, or when it does not answer,
// the spec's own facts stand in (the run says so in its warnings).
import { buildConditionData, type ConditionData } from '../contracts/condition.ts';
import type { ExecutionSpec } from '../contracts/execution-spec.ts';
import { apiUrl } from '../contracts/automation-write-back.ts';
import { specConditionData } from './runner.ts';

async function getJson(api: string, token: string | undefined, urlPath: string): Promise<Record<string, unknown>> {
  const res = await fetch(apiUrl(api, urlPath), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`GET ${urlPath}: HTTP ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

export async function loadConditionData(
  spec: ExecutionSpec,
  api?: string,
  token?: string,
): Promise<{ data: ConditionData; warning?: string }> {
  if (!api) return { data: specConditionData(spec) };
  try {
    const deployment = await getJson(api, token, `/api/v1/deployments/${encodeURIComponent(spec.deployment_id)}`);
    const [site, product] = await Promise.all([
      getJson(api, token, `/api/v1/sites/${encodeURIComponent(String(deployment.site_id))}`),
      getJson(api, token, `/api/v1/products/${encodeURIComponent(spec.product_code)}`).catch(() => null),
    ]);
    return {
      data: buildConditionData({
        deployment,
        site,
        product: product as Parameters<typeof buildConditionData>[0]['product'],
      }),
    };
  } catch (err) {
    return {
      data: specConditionData(spec),
      warning: `conditions read the spec only: the deployment, site or product could not be read from the API (${(err as Error).message})`,
    };
  }
}
