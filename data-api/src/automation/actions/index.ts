import { configureGateway } from './configure_gateway.ts';
import { deployComposeStack } from './deploy_compose_stack.ts';
import { openTicketOnFailure } from './open_ticket_on_failure.ts';
import { provisionLorawanDevices } from './provision_lorawan_devices.ts';
import { provisionVm } from './provision_vm.ts';
import { runHealthChecks } from './run_health_checks.ts';
import type { ActionModule } from './types.ts';

/** Action type → module. The runner takes a registry, so tests can swap in stand-ins. */
export type ActionRegistry = Record<string, ActionModule>;

export const defaultActions: ActionRegistry = {
  provision_vm: provisionVm,
  deploy_compose_stack: deployComposeStack,
  configure_gateway: configureGateway,
  run_health_checks: runHealthChecks,
  provision_lorawan_devices: provisionLorawanDevices,
  open_ticket_on_failure: openTicketOnFailure,
};
