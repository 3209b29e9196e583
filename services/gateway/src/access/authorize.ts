import { projectAccessOf, type Db } from '@stagecoach/db';
import { ForbiddenError, UnauthorizedError, ValidationError } from '@stagecoach/platform';
import type { Principal } from './authenticate.js';
import { decide, SEES_ALL, type Visibility } from './policy.js';
import type { AccessRule, AccessTarget } from './rules.js';

/**
 * Applies a route's rule to the caller: 401 without a credential (unless public), 403 when the
 * rule refuses. A refusal names only what the caller asked for, and is decided before anything is
 * looked up, so it reads the same whether or not the project or workflow exists.
 */
export async function authorize(
  db: Db,
  principal: Principal | undefined,
  rule: AccessRule,
  target: AccessTarget | undefined,
): Promise<Visibility> {
  if (rule.kind === 'public') return SEES_ALL;
  if (!principal) throw new UnauthorizedError('a valid token is required (Authorization: Bearer)');
  if (rule.kind === 'signed-in' || principal.systemAdmin) return SEES_ALL;
  if (rule.kind === 'system-admin') throw new ForbiddenError(`"${principal.username}" is not a system admin`);
  if (!target) {
    throw new ValidationError('the request does not name a project', [{ path: 'project', message: 'required' }]);
  }
  const visibility = principal.user
    ? decide(await projectAccessOf(db, principal.user.id, target.project), rule.verb, target.workflow)
    : null;
  if (!visibility) {
    const what = target.workflow ? `workflow "${target.workflow}"` : 'workflows';
    throw new ForbiddenError(`"${principal.username}" may not ${rule.verb} ${what} in project "${target.project}"`);
  }
  return visibility;
}
