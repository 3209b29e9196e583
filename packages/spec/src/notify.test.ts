import { describe, expect, it } from 'vitest';
import { checkNotifyCtls } from './notify.js';
import { validateDefinition } from './validate.js';

describe('checkNotifyCtls', () => {
  it('accepts each delivered channel', () => {
    expect(
      checkNotifyCtls(
        [
          {
            enabled: true,
            webhook_type: 'feishu',
            notify_type: ['passed', 'failed', 'changed'],
            lark_hook_notification_config: {
              hook_address: 'https://open.feishu.cn/hook/x',
              at_users: ['ou_1'],
              is_at_all: false,
              secret: 's',
            },
          },
          {
            webhook_type: 'dingding',
            notify_type: ['created'],
            dingding_notification_config: {
              hook_address: 'https://oapi.dingtalk.com/robot/send?access_token=t',
              at_mobiles: ['138'],
            },
          },
          {
            webhook_type: 'wechat',
            notify_type: ['pause'],
            wechat_notification_config: { hook_address: 'http://127.0.0.1:1/x' },
          },
          {
            webhook_type: 'webhook',
            notify_type: ['wait_for_approval'],
            webhook_notification_config: { address: 'http://h/x', token: 't' },
          },
          {
            webhook_type: 'mail',
            notify_type: ['failed'],
            mail_notification_config: {
              target_users: [{ type: 'user', user_name: 'ann', email: 'ann@example.com' }, { type: 'task_creator' }],
            },
          },
        ],
        'notify_ctls',
        'workflow',
      ),
    ).toEqual([]);
  });

  it('leaves addresses and emails with run variables to the run', () => {
    expect(
      checkNotifyCtls(
        [
          {
            webhook_type: 'mail',
            notify_type: ['failed'],
            mail_notification_config: { target_users: [{ type: 'user', email: '{{.workflow.params.owner}}' }] },
          },
          {
            webhook_type: 'webhook',
            notify_type: ['failed'],
            webhook_notification_config: { address: '{{.workflow.params.hook}}' },
          },
        ],
        'notify_ctls',
        'workflow',
      ),
    ).toEqual([]);
  });

  it('needs mail recipients with an address, a user name to look up, or a user group', () => {
    expect(
      checkNotifyCtls(
        [
          { webhook_type: 'mail', notify_type: ['failed'], mail_notification_config: {} },
          {
            webhook_type: 'mail',
            notify_type: ['failed'],
            mail_notification_config: {
              target_users: [
                { type: 'user' },
                { type: 'group' },
                { type: 'user', user_name: 'bob' },
                { type: 'robot' },
                { type: 'group', group_name: 'ops' },
                { type: 'group', group_id: 'g-1' },
              ],
            },
          },
        ],
        'notify_ctls',
        'workflow',
      ),
    ).toEqual([
      {
        path: 'notify_ctls[0].mail_notification_config.target_users',
        message: 'must be a non-empty list (or name dynamic_recipients)',
      },
      {
        path: 'notify_ctls[1].mail_notification_config.target_users[0].email',
        message: 'must be an email address (or leave it out and name a user_name)',
      },
      {
        path: 'notify_ctls[1].mail_notification_config.target_users[1]',
        message: 'needs group_name or group_id',
      },
      {
        path: 'notify_ctls[1].mail_notification_config.target_users[3].type',
        message: 'must be "user", "group" or "task_creator"',
      },
    ]);
  });

  it('reports enums, levels, missing config and addresses without quoting them', () => {
    expect(
      checkNotifyCtls(
        [
          'x',
          { webhook_type: 'pager', notify_type: 'passed' },
          { webhook_type: 'feishu', notify_type: ['prepare', 'nope'] },
          {
            enabled: 'yes',
            webhook_type: 'dingding',
            notify_type: [],
            dingding_notification_config: {
              hook_address: 'ftp://secret-token@host',
              at_mobiles: [1],
              is_at_all: 'no',
              secret: 5,
            },
          },
          { webhook_type: 'webhook', notify_type: ['passed'], webhook_notification_config: { address: '' } },
        ],
        'notify_ctls',
        'workflow',
      ),
    ).toEqual([
      { path: 'notify_ctls[0]', message: 'must be an object' },
      {
        path: 'notify_ctls[1].webhook_type',
        message:
          'must be one of "feishu", "feishu_app", "feishu_person", "dingding", "wechat", "msteams", "mail", "webhook" (got "pager")',
      },
      { path: 'notify_ctls[1].notify_type', message: 'must be an array' },
      {
        path: 'notify_ctls[2].notify_type[0]',
        message:
          'must be one of "created", "passed", "failed", "timeout", "cancelled", "reject", "pause", "wait_for_approval", "changed" (got "prepare")',
      },
      {
        path: 'notify_ctls[2].notify_type[1]',
        message:
          'must be one of "created", "passed", "failed", "timeout", "cancelled", "reject", "pause", "wait_for_approval", "changed" (got "nope")',
      },
      { path: 'notify_ctls[2].lark_hook_notification_config', message: 'is required' },
      { path: 'notify_ctls[3].enabled', message: 'must be a boolean' },
      { path: 'notify_ctls[3].dingding_notification_config.hook_address', message: 'must be an http(s) URL' },
      { path: 'notify_ctls[3].dingding_notification_config.at_mobiles', message: 'must be a list of strings' },
      { path: 'notify_ctls[3].dingding_notification_config.is_at_all', message: 'must be a boolean' },
      { path: 'notify_ctls[3].dingding_notification_config.secret', message: 'must be a string' },
      { path: 'notify_ctls[4].webhook_notification_config.address', message: 'is required' },
    ]);
  });

  it('checks the Feishu app configs: app, chat, users and their id types', () => {
    expect(
      checkNotifyCtls(
        [
          {
            webhook_type: 'feishu_app',
            notify_type: ['passed'],
            lark_group_notification_config: { app_id: 'ops', chat: { chat_id: 'oc_1' }, at_users: ['ou_1'] },
          },
          {
            webhook_type: 'feishu_person',
            notify_type: ['passed'],
            lark_person_notification_config: { app_id: 'ops', target_users: [{ id: 'a@x.io', id_type: 'email' }] },
          },
          { webhook_type: 'feishu_app', notify_type: ['passed'], lark_group_notification_config: { at_users: [{}] } },
          {
            webhook_type: 'feishu_person',
            notify_type: ['passed'],
            lark_person_notification_config: { app_id: 'ops', target_users: [{ id: 'x', id_type: 'phone' }] },
          },
          { webhook_type: 'feishu_person', notify_type: ['passed'] },
        ],
        'notify_ctls',
        'workflow',
      ),
    ).toEqual([
      { path: 'notify_ctls[2].lark_group_notification_config.app_id', message: 'is required' },
      {
        path: 'notify_ctls[2].lark_group_notification_config.at_users[0]',
        message: 'must be {id, id_type} or an open_id',
      },
      { path: 'notify_ctls[2].lark_group_notification_config.chat.chat_id', message: 'is required' },
      {
        path: 'notify_ctls[3].lark_person_notification_config.target_users[0].id_type',
        message: 'must be one of "open_id", "user_id", "union_id", "email"',
      },
      { path: 'notify_ctls[4].lark_person_notification_config', message: 'is required' },
    ]);
  });

  it('job level allows prepare but not created, and validateDefinition reports both levels', () => {
    const r = validateDefinition({
      name: 'wf',
      project: 'p',
      notify_ctls: [
        { webhook_type: 'wechat', notify_type: ['prepare'], wechat_notification_config: { hook_address: 'http://h' } },
      ],
      stages: [
        {
          name: 's',
          jobs: [
            {
              name: 'j',
              type: 'freestyle',
              spec: { script: '' },
              notify_ctls: [
                {
                  webhook_type: 'wechat',
                  notify_type: ['prepare', 'created'],
                  wechat_notification_config: { hook_address: 'http://h' },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual([
      'notify_ctls[0].notify_type[0]',
      'stages[0].jobs[0].notify_ctls[0].notify_type[1]',
    ]);
  });
});
