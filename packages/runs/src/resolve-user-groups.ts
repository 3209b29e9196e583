import { findUserGroups, type DbOrTx } from '@stagecoach/db';
import type { WorkflowDefinition } from '@stagecoach/spec';
import { checkGateUsers, expandUserGroups, referencedGroups } from './user-groups.js';

/**
 * The definition a run is built from: its user groups replaced by their members as `db` (the run's
 * transaction) sees them now, and every approval and manual gate checked to have people who can act.
 */
export async function resolveUserGroups(
  db: DbOrTx,
  definition: WorkflowDefinition,
  creator: string,
): Promise<WorkflowDefinition> {
  const refs = referencedGroups(definition);
  // Most definitions name no group: nothing to look up or rebuild.
  const named = refs.ids.length + refs.names.length > 0;
  const withUsers = named ? expandUserGroups(definition, await findUserGroups(db, refs)) : definition;
  return checkGateUsers(withUsers, creator);
}
