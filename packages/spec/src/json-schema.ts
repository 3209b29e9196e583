// JSON Schema (draft 2020-12) of a workflow definition, for editors (completion, inline errors). It mirrors
// validate.ts structurally; cross-field rules (uniqueness of names, needed_approvers ≤ approvers, choice values
// among the options) live only in validateDefinition. Objects stay open: Zadig definitions carry many more keys.
import { EXECUTE_VERBS } from './execute-policy.js';
import { WEBHOOK_TYPES } from './notify.js';
import { JOB_TYPES } from './types.js';

const stringEnum = (values: readonly string[], description?: string) => ({
  type: 'string',
  enum: [...values],
  ...(description ? { description } : {}),
});

export const workflowJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://stagecoach.dev/schemas/workflow-definition.json',
  title: 'Stagecoach workflow definition (Zadig custom workflow v4)',
  type: 'object',
  required: ['name', 'project', 'stages'],
  properties: {
    name: { type: 'string', pattern: '^[a-zA-Z0-9-]+$', description: 'Workflow key; immutable.' },
    display_name: { type: 'string' },
    project: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    category: stringEnum(['', 'release']),
    disabled: { type: 'boolean' },
    remark_required: { type: 'boolean' },
    concurrency_limit: {
      type: 'integer',
      minimum: -1,
      description: '-1 or 0 = unlimited, N = at most N runs at once.',
    },
    multi_run: { type: 'boolean', description: 'Legacy: false = concurrency_limit 1, true = unlimited.' },
    params: { type: 'array', items: { $ref: '#/$defs/param' } },
    notify_ctls: { type: 'array' },
    stages: { type: 'array', minItems: 1, items: { $ref: '#/$defs/stage' } },
  },
  $defs: {
    userRef: {
      type: 'object',
      properties: {
        type: stringEnum(['', 'user', 'group', 'task_creator']),
        user_id: { type: 'string' },
        user_name: { type: 'string' },
        group_id: { type: 'string' },
        group_name: { type: 'string' },
      },
    },
    timeout: {
      type: 'number',
      minimum: 0,
      maximum: 52_560_000,
      description: 'Minutes; 0 = default; otherwise between 1 second (1/60) and 100 years.',
    },
    nativeApproval: {
      type: 'object',
      required: ['approve_users'],
      properties: {
        timeout: { $ref: '#/$defs/timeout' },
        approve_users: { type: 'array', minItems: 1, items: { $ref: '#/$defs/userRef' } },
        needed_approvers: { type: 'integer', minimum: 0 },
      },
    },
    param: {
      type: 'object',
      required: ['name', 'type'],
      properties: {
        name: { type: 'string', minLength: 1 },
        description: { type: 'string' },
        type: stringEnum(['string', 'text', 'choice', 'multi-select', 'repo', 'image', 'script', 'file', 'external']),
        value: { type: 'string' },
        default: { type: 'string' },
        choice_option: { type: 'array', items: { type: 'string' } },
        choice_value: { type: 'array', items: { type: 'string' } },
        is_credential: { type: 'boolean' },
        source: stringEnum(['runtime', 'fixed', 'reference']),
        required: { type: 'boolean' },
      },
    },
    stage: {
      type: 'object',
      required: ['name', 'jobs'],
      properties: {
        name: { type: 'string', minLength: 1 },
        parallel: { type: 'boolean' },
        manual_exec: {
          type: 'object',
          properties: {
            enabled: { type: 'boolean' },
            modify_params: { type: 'boolean' },
            manual_exec_users: { type: 'array', items: { $ref: '#/$defs/userRef' } },
          },
        },
        approval: {
          type: 'object',
          description: 'Legacy stage-level approval; only checked when enabled.',
          properties: {
            enabled: { type: 'boolean' },
            type: { type: 'string' },
            description: { type: 'string' },
          },
          allOf: [
            {
              if: { properties: { enabled: { const: true } }, required: ['enabled'] },
              then: {
                required: ['native_approval'],
                properties: {
                  type: stringEnum(['', 'native']),
                  timeout: { $ref: '#/$defs/timeout' },
                  native_approval: { $ref: '#/$defs/nativeApproval' },
                },
              },
            },
          ],
        },
        jobs: { type: 'array', minItems: 1, items: { $ref: '#/$defs/job' } },
      },
    },
    job: {
      type: 'object',
      required: ['name', 'type', 'spec'],
      properties: {
        name: { type: 'string', pattern: '^[a-z\\u4e00-\\u9fa5][a-z0-9\\u4e00-\\u9fa5-]{0,31}$' },
        type: stringEnum([...JOB_TYPES]),
        spec: { type: 'object' },
        skipped: { type: 'boolean' },
        run_policy: stringEnum(['', 'default_not_run', 'force_run', 'skip']),
        error_policy: {
          type: 'object',
          properties: {
            policy: stringEnum(['stop', 'ignore_error', 'retry', 'manual_check']),
            maximum_retry: { type: 'integer', minimum: 0 },
            approval_users: { type: 'array', items: { $ref: '#/$defs/userRef' } },
          },
        },
        execute_policy: {
          type: 'object',
          required: ['type'],
          properties: {
            type: stringEnum(['skip', 'execute']),
            match_rule: stringEnum(['all', 'any']),
            rules: {
              type: 'array',
              items: {
                type: 'object',
                required: ['field', 'verb'],
                properties: {
                  field: { type: 'string' },
                  verb: stringEnum(EXECUTE_VERBS),
                  value: { type: 'string' },
                },
              },
            },
          },
        },
        notify_ctls: { type: 'array' },
      },
      allOf: [
        {
          if: { properties: { type: { const: 'freestyle' } }, required: ['type'] },
          then: { properties: { spec: { $ref: '#/$defs/freestyleSpec' } } },
        },
        {
          if: { properties: { type: { const: 'approval' } }, required: ['type'] },
          then: { properties: { spec: { $ref: '#/$defs/approvalSpec' } } },
        },
        {
          if: { properties: { type: { const: 'notification' } }, required: ['type'] },
          then: { properties: { spec: { $ref: '#/$defs/notificationSpec' } } },
        },
      ],
    },
    freestyleSpec: {
      type: 'object',
      required: ['script'],
      properties: {
        freestyle_type: stringEnum(['', 'service_freestyle']),
        script: { type: 'string' },
        script_type: stringEnum(['', 'shell']),
        repos: {
          type: 'array',
          items: {
            type: 'object',
            required: ['repo_name'],
            anyOf: [{ required: ['address'] }, { required: ['repo_owner'] }],
            properties: {
              source: { type: 'string' },
              codehost_id: { type: 'integer' },
              repo_owner: { type: 'string' },
              repo_namespace: { type: 'string' },
              repo_name: { type: 'string', minLength: 1 },
              address: { type: 'string' },
              branch: { type: 'string' },
              tag: { type: 'string' },
              commit_id: { type: 'string', pattern: '^([0-9a-fA-F]{4,64}|.*\\{\\{.*)?$' },
              pr: { type: 'integer', minimum: 1 },
              prs: { type: 'array', items: { type: 'integer', minimum: 1 } },
              checkout_path: { type: 'string', description: 'A relative path inside the job workspace.' },
              remote_name: { type: 'string', pattern: '^([A-Za-z0-9][A-Za-z0-9._-]*|.*\\{\\{.*)?$' },
            },
          },
        },
        envs: {
          type: 'array',
          items: {
            type: 'object',
            required: ['key'],
            properties: {
              key: {
                type: 'string',
                pattern: '^([-._a-zA-Z][-._a-zA-Z0-9]*|.*\\{\\{.*)$',
                description: 'An environment variable name, or a template that renders to one.',
              },
              value: { type: 'string' },
              type: { type: 'string' },
              is_credential: { type: 'boolean' },
              description: { type: 'string' },
            },
          },
        },
        advanced_setting: {
          type: 'object',
          properties: {
            timeout: { $ref: '#/$defs/timeout' },
            outputs: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name'],
                properties: {
                  name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
                  description: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
    approvalSpec: {
      type: 'object',
      required: ['native_approval'],
      properties: {
        timeout: { $ref: '#/$defs/timeout' },
        type: stringEnum(['', 'native']),
        description: { type: 'string' },
        native_approval: { $ref: '#/$defs/nativeApproval' },
      },
    },
    notificationSpec: {
      type: 'object',
      description: 'A message sent from inside the run on one channel; the channel config is the notify_ctls one.',
      required: ['webhook_type', 'title', 'content'],
      properties: {
        webhook_type: stringEnum([...WEBHOOK_TYPES]),
        title: { type: 'string', minLength: 1 },
        content: { type: 'string', minLength: 1 },
      },
    },
  },
} as const;
