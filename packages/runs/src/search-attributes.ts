import { isGrpcServiceError, type Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '@stagecoach/contracts';

/** A custom search attribute: what `defineSearchAttributeKey` returns. */
export interface SearchAttributeDefinition {
  readonly name: string;
  readonly type: SearchAttributeType;
}

// A CommonJS module whose names ESM cannot see: its default export is the whole module.
const { IndexedValueType } = proto.temporal.api.enums.v1;
type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

/** gRPC status codes the operator service answers with. */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

/** `KEYWORD` -> the operator service's `INDEXED_VALUE_TYPE_KEYWORD`. */
const indexedValueType = (type: SearchAttributeType): IndexedValueType =>
  IndexedValueType[`INDEXED_VALUE_TYPE_${type}`];

/** The operator service's type back to the SDK's name (`KEYWORD`), or its number when it is unknown here. */
const typeName = (type: IndexedValueType): string =>
  IndexedValueType[type]?.replace(/^INDEXED_VALUE_TYPE_/, '') ?? `type ${type}`;

export interface SearchAttributeRegistration {
  namespace: string;
  /** names this call registered */
  added: string[];
  /** names that were already registered with the right type */
  present: string[];
}

/**
 * Registers the custom search attributes runs carry (or the given ones) in a Temporal namespace, through
 * the operator service: what `temporal server start-dev --search-attribute` does for the dev server, for a
 * production cluster. Idempotent: attributes already registered with the same type are left alone. One
 * registered with another type (or a system attribute of the same name) is an error naming it, and
 * nothing is added then.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly SearchAttributeDefinition[] = SEARCH_ATTRIBUTES,
): Promise<SearchAttributeRegistration> {
  const missing = await missingSearchAttributes(connection, namespace, keys);
  if (missing.length > 0) {
    const searchAttributes = Object.fromEntries(missing.map((k) => [k.name, indexedValueType(k.type)]));
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
    } catch (err) {
      // Another process (a second hook, a second operator) registered them meanwhile: check them again.
      if (!(isGrpcServiceError(err) && err.code === ALREADY_EXISTS)) throw err;
      const stillMissing = await missingSearchAttributes(connection, namespace, keys);
      if (stillMissing.length > 0) throw err;
    }
  }
  const added = new Set(missing.map((k) => k.name));
  return {
    namespace,
    added: [...added],
    present: keys.map((k) => k.name).filter((name) => !added.has(name)),
  };
}

/** The keys not registered yet; throws naming every key registered with another type. */
async function missingSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly SearchAttributeDefinition[],
): Promise<SearchAttributeDefinition[]> {
  let listed: proto.temporal.api.operatorservice.v1.IListSearchAttributesResponse;
  try {
    listed = await connection.operatorService.listSearchAttributes({ namespace });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === NOT_FOUND) {
      throw new Error(
        `Temporal namespace "${namespace}" does not exist: create it first (temporal operator namespace create ${namespace})`,
        { cause: err },
      );
    }
    throw err;
  }
  const custom = listed.customAttributes ?? {};
  const system = listed.systemAttributes ?? {};
  const conflicts: string[] = [];
  const missing: SearchAttributeDefinition[] = [];
  for (const key of keys) {
    const want = indexedValueType(key.type);
    if (key.name in system) {
      conflicts.push(`${key.name} is a system search attribute of type ${typeName(system[key.name]!)}`);
    } else if (!(key.name in custom)) {
      missing.push(key);
    } else if (custom[key.name] !== want) {
      conflicts.push(`${key.name} is registered as ${typeName(custom[key.name]!)}, Stagecoach needs ${key.type}`);
    }
  }
  if (conflicts.length > 0) {
    throw new Error(
      `search attributes of Temporal namespace "${namespace}" conflict with what Stagecoach runs carry:\n  ${conflicts.join(
        '\n  ',
      )}\nremove them (temporal operator search-attribute remove --namespace ${namespace} --name <name>) or use another namespace`,
    );
  }
  return missing;
}
