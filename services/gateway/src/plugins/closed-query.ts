import type { FastifyInstance, RouteOptions } from 'fastify';

/**
 * Makes every route registered in `app` after this call refuse query parameters it does not name,
 * with a 400 at `querystring.<name>`: a misspelt filter (`?stauts=failed`) or one a route does not
 * have (`?since=`) would otherwise answer as if no filter had been asked for.
 */
export function refuseUnknownQueryParameters(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    // Fastify reads `query` as another name for `querystring` (lib/schemas.js), untyped.
    const schema = route.schema as Record<string, unknown> | undefined;
    const key = schema?.['query'] !== undefined ? 'query' : 'querystring';
    const query = schema?.[key] as Record<string, unknown> | undefined;
    if (query && 'additionalProperties' in query) return;
    if (query && query['type'] !== 'object') {
      throw new Error(
        `${route.method} ${route.url}: its querystring schema is not an object schema this hook can close`,
      );
    }
    route.schema = {
      ...route.schema,
      [key]: { type: 'object', properties: {}, ...query, additionalProperties: false },
    };
  });
}
