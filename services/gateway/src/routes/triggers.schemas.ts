import { Type, type TObject } from '@fastify/type-provider-typebox';
import type { TriggerKind } from '@stagecoach/db';

const Name = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]*$', minLength: 1, maxLength: 64 });
const Params = Type.Record(Type.String(), Type.String(), {
  description: 'run arguments, validated against the workflow',
});
const Secret = (description: string) => Type.String({ minLength: 8, maxLength: 512, description });
const Common = {
  name: Name,
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  enabled: Type.Optional(Type.Boolean()),
  params: Type.Optional(Params),
};
const Status = Type.Object(
  { id: Type.String({ minLength: 1 }), name: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

/**
 * Request bodies per trigger kind, with Zadig's field names. Secrets are optional on PUT (omitted
 * keeps the stored one) and required on create (normalizeTrigger says so with the field's path).
 */
export const TRIGGER_BODIES: Record<TriggerKind, TObject> = {
  git: Type.Object(
    {
      ...Common,
      secret: Type.Optional(Secret('webhook secret configured on the repository')),
      auto_cancel: Type.Optional(Type.Boolean()),
      main_repo: Type.Object(
        {
          source: Type.Enum(['github', 'gitlab', 'gitee']),
          repo_owner: Type.String({ minLength: 1, maxLength: 255 }),
          repo_name: Type.String({ minLength: 1, maxLength: 255 }),
          branch: Type.Optional(Type.String({ maxLength: 255 })),
          is_regular: Type.Optional(Type.Boolean()),
          push_branch: Type.Optional(Type.String({ maxLength: 255 })),
          push_is_regular: Type.Optional(Type.Boolean()),
          pr_branch: Type.Optional(Type.String({ maxLength: 255 })),
          pr_is_regular: Type.Optional(Type.Boolean()),
          tag: Type.Optional(Type.String({ maxLength: 255 })),
          tag_is_regular: Type.Optional(Type.Boolean()),
          events: Type.Array(Type.Enum(['push', 'pull_request', 'tag']), {
            minItems: 1,
            uniqueItems: true,
          }),
          match_folders: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  timer: Type.Object(
    {
      ...Common,
      job_type: Type.Enum(['timing', 'gap', 'crontab', 'unix_stamp']),
      frequency: Type.Optional(Type.String()),
      time: Type.Optional(Type.String()),
      number: Type.Optional(Type.Integer()),
      cron: Type.Optional(Type.String({ maxLength: 255 })),
      unix_stamp: Type.Optional(Type.Integer()),
      time_zone: Type.Optional(Type.String({ maxLength: 64 })),
    },
    { additionalProperties: false },
  ),
  jira: Type.Object(
    {
      ...Common,
      secret: Type.Optional(Secret('token the Jira webhook URL carries (?token=) or its signing secret')),
      jira_url: Type.String({ format: 'uri' }),
      jira_user: Type.Optional(Type.String({ maxLength: 255 })),
      jira_token: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'API token for comments' })),
      enabled_issue_status_change: Type.Optional(Type.Boolean()),
      from_status: Type.Optional(Status),
      to_status: Type.Optional(Status),
    },
    { additionalProperties: false },
  ),
  meego: Type.Object(
    {
      ...Common,
      secret: Type.Optional(Secret('verification token of the Feishu Project webhook')),
      meego_url: Type.String({ format: 'uri' }),
      user_key: Type.String({ minLength: 1, maxLength: 255 }),
      plugin_token: Type.Optional(
        Type.String({ minLength: 1, maxLength: 1024, description: 'plugin token for comments' }),
      ),
    },
    { additionalProperties: false },
  ),
  general: Type.Object(
    {
      ...Common,
      secret: Type.Optional(Secret('HMAC key (X-Stagecoach-Signature-256) or bearer token')),
      param_mapping: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1 }))),
    },
    { additionalProperties: false },
  ),
};

export const TriggerView = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    name: Type.String(),
    enabled: Type.Boolean(),
    params: Type.Record(Type.String(), Type.String()),
    /** which secret fields are stored (their values are never returned) */
    secrets_set: Type.Array(Type.String()),
    hook_url: Type.Union([Type.String(), Type.Null()]),
    created_by: Type.String(),
    updated_by: Type.String(),
    updated_at: Type.String(),
  },
  { additionalProperties: true },
);

export const DeliveryView = Type.Object({
  id: Type.String(),
  source: Type.String(),
  delivery_key: Type.String(),
  trigger: Type.Object({ id: Type.String(), kind: Type.String(), name: Type.String() }),
  event: Type.String(),
  decision: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  run_number: Type.Union([Type.Integer(), Type.Null()]),
  received_at: Type.String(),
  decided_at: Type.Union([Type.String(), Type.Null()]),
});
