import { AjvCompiler, type ValidatorFactory } from '@fastify/ajv-compiler';

/**
 * Fastify's Ajv, built twice: coercing for the path, query string and headers, whose values arrive as
 * text, and not coercing for JSON bodies, whose values say their own type. Coerced, `"approve": null` or
 * `0` read as `false`, a rejection nobody sent, and `"task_id": true` as task 1.
 */
// One pool each for the whole process, as Fastify keeps its one: each caches its Ajv by schemas and options.
const coercingPool = AjvCompiler();
const exactPool = AjvCompiler();

export const buildValidator: ValidatorFactory = (externalSchemas, options) => {
  const coercing = coercingPool(externalSchemas, options);
  // Fastify builds Ajv validators, never JTD ones, so the options are Ajv's.
  const exact = exactPool(externalSchemas, {
    ...options,
    customOptions: { ...options?.customOptions, coerceTypes: false },
  } as Parameters<ValidatorFactory>[1]);
  return (route) => (route.httpPart === 'body' ? exact : coercing)(route);
};
