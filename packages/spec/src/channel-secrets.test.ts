import { describe, expect, it } from 'vitest';
import { channelSecretValues, restoreChannelSecrets, takeChannelSecrets } from './channel-secrets.js';

describe('notification channel secrets', () => {
  it('takes hook addresses and signing keys out, and puts them back', () => {
    const spec = {
      webhook_type: 'dingding',
      title: 't',
      content: 'c',
      dingding_notification_config: {
        hook_address: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
        secret: 'SECsign',
        at_mobiles: ['138'],
      },
      webhook_notification_config: { address: 'https://hooks.example/x', token: 'hmac-key' },
      mail_notification_config: { target_users: [{ type: 'user', email: 'a@b.io' }] },
    };
    const { spec: sealed, secrets } = takeChannelSecrets(spec);
    expect(sealed).toEqual({
      webhook_type: 'dingding',
      title: 't',
      content: 'c',
      dingding_notification_config: { at_mobiles: ['138'] },
      webhook_notification_config: {},
      mail_notification_config: { target_users: [{ type: 'user', email: 'a@b.io' }] },
    });
    expect(secrets).toEqual({
      dingding_notification_config: {
        hook_address: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
        secret: 'SECsign',
      },
      webhook_notification_config: { address: 'https://hooks.example/x', token: 'hmac-key' },
    });
    expect(channelSecretValues(secrets).sort()).toEqual(
      [
        'https://oapi.dingtalk.com/robot/send?access_token=abc',
        'SECsign',
        'https://hooks.example/x',
        'hmac-key',
      ].sort(),
    );
    expect(restoreChannelSecrets(sealed, secrets)).toEqual(spec);
    // The spec it was given is left as it was.
    expect(spec.dingding_notification_config.secret).toBe('SECsign');
  });

  it('leaves a value that still waits for a run variable, and empty values', () => {
    const spec = {
      webhook_type: 'feishu',
      lark_hook_notification_config: { hook_address: 'https://open.feishu.cn/hook/{{.secret-k.TOKEN}}', secret: '' },
    };
    expect(takeChannelSecrets(spec)).toEqual({ spec, secrets: {} });
  });

  it('keeps a field the spec holds again (an edited input) over the sealed one', () => {
    const edited = { webhook_type: 'webhook', webhook_notification_config: { address: 'https://new.example/h' } };
    const sealed = { webhook_notification_config: { address: 'https://old.example/h', token: 'k' } };
    expect(restoreChannelSecrets(edited, sealed)).toEqual({
      webhook_type: 'webhook',
      webhook_notification_config: { address: 'https://new.example/h', token: 'k' },
    });
  });

  it('restores nothing into a spec when nothing was sealed (runs started before)', () => {
    const spec = { webhook_type: 'wechat', wechat_notification_config: { hook_address: 'https://qyapi/x' } };
    expect(restoreChannelSecrets(spec, {})).toBe(spec);
  });
});
