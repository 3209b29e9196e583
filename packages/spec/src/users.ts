import type { UserRef } from './types.js';

// A run never holds group entries (`type: 'group'`): as Zadig does when it builds the job tasks
// (`flat_approve_users`), the run build replaces each group by its members (packages/runs/src/user-groups.ts),
// so this sandbox code only compares names. A group entry that reaches here anyway matches nobody.

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
