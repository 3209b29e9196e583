import type { FastifyInstance, RouteOptions } from 'fastify';

/**
 * Makes every route registered in `app` after this call refuse query parameters it does not name,
 * with a 400 at `querystring.<name>`: a misspelt filter (`?stauts=failed`) or one a route does not
 * have (`?since=`) would otherwise answer as if no filter had been asked for.
 */
export function refuseUnknownQueryParameters(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const query = route.schema?.querystring as Record<string, unknown> | undefined;
    if (query && (query['type'] !== 'object' || 'additionalProperties' in query)) return;
    route.schema = {
      ...route.schema,
      querystring: { type: 'object', properties: {}, ...query, additionalProperties: false },
    };
  });
}
