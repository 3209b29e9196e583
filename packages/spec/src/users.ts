import type { UserRef } from './types.js';

// Group entries (`type: 'group'`) never match and contribute no names: Stagecoach has no user directory to expand
// groups from yet. Zadig expands them when the job task is built (`flat_approve_users`).

/** Whether `user` (a user name or a user id) is allowed by `users`; `task_creator` entries stand for `taskCreator`. */
export function isListedUser(users: readonly UserRef[], user: string, taskCreator: string): boolean {
  if (user === '') return false;
  return users.some((u) => {
    switch (u.type ?? 'user') {
      case 'task_creator':
        return user === taskCreator;
      case 'user':
        return u.user_name === user || u.user_id === user;
      default:
        return false;
    }
  });
}

/** Names of the listed people in order, without duplicates (`user_name`, else `user_id`; the run creator for `task_creator`). */
export function listedUserNames(users: readonly UserRef[], taskCreator: string): string[] {
  const names: string[] = [];
  const add = (n: string | undefined) => {
    if (n && !names.includes(n)) names.push(n);
  };
  for (const u of users) {
    switch (u.type ?? 'user') {
      case 'task_creator':
        add(taskCreator);
        break;
      case 'user':
        add(u.user_name || u.user_id);
        break;
      default:
        break;
    }
  }
  return names;
}
