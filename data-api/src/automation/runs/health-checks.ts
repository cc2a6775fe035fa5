// The built-in schedule job `health_checks` (automation/schedules.yaml): for one deployment, an
// execution spec with a device_up check per device of the deployment, and a ticket (with its
// alert) when any is not up. Pure: the service passes the registry rows in.
import type { HealthChecksJob } from '../../contracts/automation-runs.ts';
import type { ExecutionSpecInput } from '../../contracts/execution-spec.ts';

export interface HealthCheckDeployment {
  id: string;
  name: string | null;
  product_code: string;
  product_version: string;
}

export interface HealthCheckDevice {
  id: string;
  name: string | null;
  role: string;
}

export function buildHealthCheckSpec(
  deployment: HealthCheckDeployment,
  devices: HealthCheckDevice[],
  job: HealthChecksJob,
  scheduleId: string,
): ExecutionSpecInput {
  const checked = devices.slice(0, job.max_devices);
  return {
    spec_version: 1,
    project: job.project,
    deployment_id: deployment.id,
    product_code: deployment.product_code,
    product_version: deployment.product_version,
    targets: {
      gateways: checked.filter((d) => d.id.startsWith('gw_')).map((d) => d.id),
      devices: checked.filter((d) => d.id.startsWith('dev_') && d.role !== 'station').map((d) => d.id),
      stations: checked.filter((d) => d.id.startsWith('dev_') && d.role === 'station').map((d) => d.id),
    },
    actions: [
      {
        id: 'device-checks',
        type: 'run_health_checks',
        description: `schedule ${scheduleId}: every device of ${deployment.id} reports up`,
        // Checks run one after the other; leave room for each to wait its full timeout.
        timeout_s: Math.min(86_400, checked.length * (job.timeout_s + 2) + 30),
        with: {
          checks: checked.map((d) => ({
            name: d.name ? `${d.name} (${d.id})` : d.id,
            device_up: d.id,
            timeout_s: job.timeout_s,
          })),
        },
      },
      { id: 'ticket', type: 'open_ticket_on_failure', with: { severity: job.severity } },
    ],
  } as ExecutionSpecInput;
}
