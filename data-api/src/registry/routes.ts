import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { deviceIdSchema, idParamsOf, idSchema } from '../contracts/ids.ts';
import { pageQuery } from '../contracts/pagination.ts';
import {
  customerCreateSchema,
  customerFilters,
  customerSchema,
  customerUpdateSchema,
  deploymentCreateSchema,
  deploymentFilters,
  deploymentSchema,
  deploymentUpdateSchema,
  desiredStateSchema,
  deviceCreateSchema,
  deviceFilters,
  deviceSchema,
  deviceUpdateSchema,
  inventoryCreateSchema,
  inventoryFilters,
  inventoryItemSchema,
  inventoryUpdateSchema,
  productListSchema,
  productParams,
  productSchema,
  siteCreateSchema,
  siteDeleteQuery,
  siteFilters,
  siteSchema,
  siteUpdateSchema,
} from '../contracts/registry.ts';
import { createCustomer, deleteCustomer, getCustomer, listCustomers, updateCustomer } from './customers.ts';
import { ERROR_RESPONSES } from '../kernel/errors/responses.ts';
import { registerCrud } from './crud-routes.ts';
import { conditionOf, preconditionFailedSchema, withEtag } from './precondition.ts';
import { ifMatchHeaders } from '../contracts/preconditions.ts';
import { createDeployment, deleteDeployment, getDeployment, listDeployments, updateDeployment } from './deployments.ts';
import { createDevice, deleteDevice, getDevice, listDevices, setDesiredState, updateDevice } from './devices.ts';
import {
  createInventoryItem,
  deleteInventoryItem,
  getInventoryItem,
  listInventory,
  updateInventoryItem,
} from './inventory.ts';
import { getProduct, listProducts } from './products.ts';
import { createSite, deleteSite, getSite, listSites, updateSite } from './sites.ts';

/** The registry: customers, sites, deployments, devices, inventory (domain.md). */
export const registryRoutes: FastifyPluginAsyncZod = async (app) => {
  registerCrud(
    app,
    {
      path: 'customers',
      name: 'customer',
      tag: 'registry',
      id: idSchema('customer'),
      writeRole: 'admin',
      sharedWrites: ['create', 'delete'],
      item: customerSchema,
      create: customerCreateSchema,
      update: customerUpdateSchema,
      filters: customerFilters,
      list: listCustomers,
      get: getCustomer,
      add: createCustomer,
      patch: updateCustomer,
      remove: (db, who, id, _q, condition) => deleteCustomer(db, who, id, condition),
    },
    pageQuery,
  );

  registerCrud(
    app,
    {
      path: 'sites',
      name: 'site',
      tag: 'registry',
      id: idSchema('site'),
      writeRole: 'admin',
      item: siteSchema,
      create: siteCreateSchema,
      update: siteUpdateSchema,
      filters: siteFilters,
      deleteQuery: siteDeleteQuery,
      list: listSites,
      get: getSite,
      add: createSite,
      patch: updateSite,
      remove: deleteSite,
    },
    pageQuery,
  );

  registerCrud(
    app,
    {
      path: 'deployments',
      name: 'deployment',
      tag: 'registry',
      id: idSchema('deployment'),
      writeRole: 'admin',
      item: deploymentSchema,
      create: deploymentCreateSchema,
      update: deploymentUpdateSchema,
      filters: deploymentFilters,
      list: listDeployments,
      get: getDeployment,
      add: createDeployment,
      patch: updateDeployment,
      remove: (db, who, id, _q, condition) => deleteDeployment(db, who, id, condition),
    },
    pageQuery,
  );

  registerCrud(
    app,
    {
      path: 'devices',
      name: 'device',
      tag: 'registry',
      id: deviceIdSchema,
      writeRole: 'admin',
      item: deviceSchema,
      create: deviceCreateSchema,
      update: deviceUpdateSchema,
      filters: deviceFilters,
      list: listDevices,
      get: getDevice,
      add: createDevice,
      patch: updateDevice,
      remove: (db, who, id, _q, condition) => deleteDevice(db, who, id, condition),
    },
    pageQuery,
  );

  registerCrud(
    app,
    {
      path: 'inventory',
      name: 'inventory item',
      tag: 'registry',
      id: idSchema('inventory'),
      writeRole: 'admin',
      item: inventoryItemSchema,
      create: inventoryCreateSchema,
      update: inventoryUpdateSchema,
      filters: inventoryFilters,
      list: listInventory,
      get: getInventoryItem,
      add: createInventoryItem,
      patch: updateInventoryItem,
      remove: (db, who, id, _q, condition) => deleteInventoryItem(db, who, id, condition),
    },
    pageQuery,
  );

  desiredStateRoute(app);
};

/** PUT /devices/:id/desired-state: the one registry write besides the five of every collection. */
function desiredStateRoute(app: Parameters<FastifyPluginAsyncZod>[0]) {
  app.put(
    '/devices/:id/desired-state',
    {
      config: { auth: 'admin', scope: 'tenant' },
      schema: {
        summary: "Set a device's target configuration",
        description:
          "Each change bumps desired_version. Pass if_version to refuse a change made on stale data (409). With If-Match (the device's ETag, from GET /devices/:id) the change applies only while the device is still that version: otherwise 412 precondition_failed, nothing changes, and the answer's current is the device as it is now. observed_state is never writable. The answer carries the device's new ETag.",
        tags: ['registry'],
        params: idParamsOf(deviceIdSchema),
        headers: ifMatchHeaders,
        body: desiredStateSchema,
        response: {
          200: deviceSchema,
          ...ERROR_RESPONSES,
          412: preconditionFailedSchema(deviceSchema),
        },
      },
    },
    async (request, reply) =>
      withEtag(
        reply,
        await setDesiredState(app.ctx.db, request.principal!, request.params.id, request.body, conditionOf(request)),
      ),
  );
}

/** The product catalog: read-only, loaded from docs/products at start. */
export const productRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/products',
    {
      config: { auth: 'viewer' },
      schema: { summary: 'The product catalog', tags: ['registry'], response: { 200: productListSchema } },
    },
    async () => ({ items: await listProducts(app.ctx.db) }),
  );
  app.get(
    '/products/:code',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'One product with its versions',
        tags: ['registry'],
        params: productParams,
        response: { 200: productSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => getProduct(app.ctx.db, request.params.code),
  );
};
