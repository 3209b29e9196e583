import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { GatewayDeps } from '../deps.js';
import { registerZadigErrors } from './errors.js';
import { registerWorkflowKeyLookup } from './targets.js';
import { zadigTaskRoutes } from './tasks.routes.js';
import { zadigViewRoutes } from './views.routes.js';
import { zadigWorkflowRoutes } from './workflows.routes.js';

/**
 * Zadig's OpenAPI for custom workflows (`/openapi/workflows/...`, zadig-workflows.md §8), so a script
 * written for Zadig works unchanged: Zadig's paths, query and body fields, bodies and error shape,
 * with the gateway's authentication, access rules and run operations underneath.
 */
export const openapiRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  registerZadigErrors(app);
  registerWorkflowKeyLookup(app, deps.db);
  await app.register(zadigWorkflowRoutes, { deps });
  await app.register(zadigTaskRoutes, { deps });
  await app.register(zadigViewRoutes, { deps });
};
