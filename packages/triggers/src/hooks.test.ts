import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizeTrigger } from './definition.js';
import { mapParams, verifyGeneral } from './general.js';
import { giteePush } from './git/payloads.fixture.js';
import { matchJira, verifyJira } from './jira.js';
import { gitlabDeliveryId } from './git/gitlab.js';
import { matchMeego, meegoWorkItem, verifyMeego } from './meego.js';
import { deliveryKeyOf } from './signatures.js';
import { flattenPayload } from './variables.js';

const SECRET = 'hook-secret-123';

describe('flattenPayload', () => {
  it('makes payload.<path> variables and leaves credential-looking keys out', () => {
    const vars = flattenPayload(giteePush());
    expect(vars['payload.repository.full_name']).toBe('oschina/gitee');
    expect(vars['payload.commits.0.id']).toBe('1cdcd819599cbb4099289dbbec762452f006cb40');
    expect(vars['payload.password']).toBeUndefined();
    expect(vars['payload.sign']).toBeUndefined();
    expect(JSON.stringify(vars)).not.toContain('pwd-never-in-variables');
  });

  it('leaves out keys that name a credential, however a generic sender spells them', () => {
    const vars = flattenPayload({
      ref: 'main',
      access_token: 'a',
      private_token: 'b',
      client_secret: 'c',
      apiKey: 'd',
      db: { Password: 'e', credentials: { user: 'f' } },
      design: 'kept',
    });
    expect(vars).toEqual({ 'payload.ref': 'main', 'payload.design': 'kept' });
  });

  it('cuts a long value at a whole character, never inside a surrogate pair', () => {
    const emoji = '\u{1F600}';
    const cut = flattenPayload({ msg: `${'a'.repeat(4095)}${emoji}` })['payload.msg']!;
    expect(cut).toBe('a'.repeat(4095));
    expect(flattenPayload({ msg: `${'a'.repeat(4094)}${emoji}b` })['payload.msg']).toBe(`${'a'.repeat(4094)}${emoji}`);
  });
});

describe('Jira', () => {
  const event = (from: string, to: string) => ({
    webhookEvent: 'jira:issue_updated',
    issue: { key: 'OPS-7', fields: { summary: 's' } },
    changelog: { items: [{ field: 'status', from, fromString: 'To Do', to, toString: 'Done' }] },
  });
  const filter = {
    jira_url: 'http://jira',
    enabled_issue_status_change: true,
    from_status: { id: '1' },
    to_status: { id: '3' },
  };

  it('verifies the URL token or the X-Hub-Signature', () => {
    const body = Buffer.from('{}');
    expect(verifyJira({}, body, SECRET, SECRET)).toBe(true);
    expect(verifyJira({}, body, 'nope', SECRET)).toBe(false);
    const sig = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    expect(verifyJira({ 'x-hub-signature': sig }, body, undefined, SECRET)).toBe(true);
    expect(verifyJira({}, body, undefined, SECRET)).toBe(false);
  });

  it('filters on the status change, 000000 meaning any', () => {
    expect(matchJira(filter, event('1', '3'))).toEqual({ ok: true });
    expect(matchJira(filter, event('2', '3')).ok).toBe(false);
    expect(matchJira({ ...filter, from_status: { id: '000000' } }, event('2', '3'))).toEqual({ ok: true });
    expect(matchJira({ jira_url: 'x' }, event('2', '9'))).toEqual({ ok: true });
    expect(matchJira(filter, { webhookEvent: 'jira:issue_created', issue: { key: 'A-1' } }).ok).toBe(false);
  });
});

describe('Feishu Project', () => {
  const body = {
    header: { token: SECRET, uuid: 'u-1', event_type: 'WorkitemUpdateEvent' },
    payload: { id: 42, project_key: 'p1', work_item_type_key: 'story' },
  };
  it('verifies header.token and reads the work item', () => {
    expect(verifyMeego(body, SECRET)).toBe(true);
    expect(verifyMeego({ ...body, header: { ...body.header, token: 'x' } }, SECRET)).toBe(false);
    expect(meegoWorkItem(body)).toEqual({ projectKey: 'p1', workItemTypeKey: 'story', workItemId: '42' });
    expect(matchMeego({ header: body.header }).ok).toBe(false);
  });
});

describe('general hooks', () => {
  const raw = Buffer.from('{"build":{"ref":"v1"}}');
  it('take an HMAC signature or a bearer token', () => {
    const sig = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
    expect(verifyGeneral({ 'x-stagecoach-signature-256': sig }, raw, SECRET)).toBe(true);
    expect(verifyGeneral({ 'x-stagecoach-signature-256': sig }, Buffer.from('{}'), SECRET)).toBe(false);
    expect(verifyGeneral({ authorization: `Bearer ${SECRET}` }, raw, SECRET)).toBe(true);
    expect(verifyGeneral({ authorization: 'Bearer wrong' }, raw, SECRET)).toBe(false);
    expect(verifyGeneral({}, raw, SECRET)).toBe(false);
  });

  it('map body fields to params and name the ones missing', () => {
    expect(mapParams({ ref: 'build.ref' }, { build: { ref: 'v1' } })).toEqual({ ok: true, params: { ref: 'v1' } });
    expect(mapParams({ ref: 'build.ref', n: 'build.n' }, { build: { ref: { x: 1 } } })).toEqual({
      ok: false,
      issues: [
        { path: 'body.build.ref', message: 'must be a string, number or boolean (maps to param ref)' },
        { path: 'body.build.n', message: 'required (maps to param n)' },
      ],
    });
  });
});

describe('normalizeTrigger', () => {
  const git = {
    name: 'on-push',
    secret: SECRET,
    auto_cancel: true,
    main_repo: {
      source: 'github',
      repo_owner: 'Octo',
      repo_name: 'Hello',
      branch: '[',
      is_regular: true,
      events: ['push'],
    },
  };
  it('keeps secrets apart from config and keys git triggers by repository', () => {
    const ok = normalizeTrigger('git', { ...git, main_repo: { ...git.main_repo, branch: 'main' } });
    expect(ok).toMatchObject({ ok: true, trigger: { repoKey: 'github:octo/hello', secrets: { secret: SECRET } } });
    expect(JSON.stringify(ok.ok && ok.trigger.config)).not.toContain(SECRET);
  });
  it('names invalid regexes and missing secrets; an update may keep the stored secret', () => {
    const bad = normalizeTrigger('git', { ...git, secret: undefined });
    expect(bad.ok === false && bad.issues.map((i) => i.path)).toEqual(['secret', 'main_repo.branch']);
    const kept = normalizeTrigger('general', { name: 'g' }, { secrets: { secret: SECRET }, config: {} });
    expect(kept.ok && kept.trigger.secrets).toEqual({ secret: SECRET });
  });
});

describe('delivery keys', () => {
  const body = Buffer.from('{"a":1}');

  it('are the provider id, its digest when it is long, or the body digest when there is none', () => {
    expect(deliveryKeyOf('delivery-1', body)).toBe('delivery-1');
    expect(deliveryKeyOf(undefined, body)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(deliveryKeyOf('', body)).toBe(deliveryKeyOf(undefined, body));
    expect(deliveryKeyOf(undefined, Buffer.from('{"a":2}'))).not.toBe(deliveryKeyOf(undefined, body));
    const long = deliveryKeyOf('x'.repeat(5000), body);
    expect(long).toMatch(/^id-sha256:[0-9a-f]{64}$/);
    expect(deliveryKeyOf('x'.repeat(5001), body)).not.toBe(long);
  });

  it('of GitLab come from Idempotency-Key, not from the event UUID that related events share', () => {
    expect(gitlabDeliveryId({ 'idempotency-key': 'k-1', 'x-gitlab-event-uuid': 'u' })).toBe('k-1');
    expect(gitlabDeliveryId({ 'x-gitlab-event-uuid': 'u' })).toBeUndefined();
  });
});
