import { describe, expect, it } from 'vitest';
import { recipientKind, withDynamicRecipients } from './recipients.js';

const values = {
  'workflow.params.owner_email': 'ann@example.com, bob@example.com',
  'job.build.output.mobile': '13800000000',
  'job.review.output.uid': 'ou_42',
  'workflow.params.note': 'x',
};

describe('dynamic recipients', () => {
  it('tell the kind from the last key segment, as Zadig does', () => {
    expect(recipientKind('workflow.params.email')).toBe('email');
    expect(recipientKind('job.build.output.COMMITTER_EMAIL')).toBe('email');
    expect(recipientKind('job.build.output.AUTHOR_MOBILE')).toBeUndefined();
    expect(recipientKind('workflow.params.phone')).toBe('mobile');
    expect(recipientKind('payload.user.userid')).toBe('user_id');
    expect(recipientKind('workflow.params.note')).toBeUndefined();
  });

  it('add resolved values to the channel recipients of their kind, and nothing else', () => {
    const mail = withDynamicRecipients(
      {
        webhook_type: 'mail',
        notify_type: ['failed'],
        mail_notification_config: {
          target_users: [{ type: 'user', email: 'ops@example.com' }],
          dynamic_recipients: [
            '{{.workflow.params.owner_email}}',
            'workflow.params.note',
            'workflow.params.missing_email',
          ],
        },
      },
      values,
    );
    expect((mail['mail_notification_config'] as { target_users: unknown[] }).target_users).toEqual([
      { type: 'user', email: 'ops@example.com' },
      { type: 'user', email: 'ann@example.com' },
      { type: 'user', email: 'bob@example.com' },
    ]);
    const ding = withDynamicRecipients(
      {
        webhook_type: 'dingding',
        notify_type: ['failed'],
        dingding_notification_config: {
          hook_address: 'http://d',
          dynamic_recipients: ['job.build.output.mobile', 'job.review.output.uid'],
        },
      },
      values,
    );
    expect(ding.dingding_notification_config!.at_mobiles).toEqual(['13800000000']);
    const feishu = withDynamicRecipients(
      {
        webhook_type: 'feishu',
        notify_type: ['failed'],
        lark_hook_notification_config: {
          hook_address: 'http://f',
          at_users: ['ou_1'],
          dynamic_recipients: ['job.review.output.uid'],
        },
      },
      values,
    );
    expect(feishu.lark_hook_notification_config!.at_users).toEqual(['ou_1', 'ou_42']);
  });
});
