import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { getTrigger, type TriggerKind, type TriggerRow } from '@stagecoach/db';
import { NotFoundError, UnauthorizedError, ValidationError } from '@stagecoach/platform';
import {
  deliveryKeyOf,
  fire,
  flattenPayload,
  generalDeliveryId,
  jiraDeliveryId,
  mapParams,
  matchJira,
  matchMeego,
  meegoDeliveryId,
  meegoWorkItem,
  triggerParams,
  triggerSecrets,
  verifyGeneral,
  verifyJira,
  verifyMeego,
  type GeneralConfig,
  type Headers,
  type JiraConfig,
  type Loose,
} from '@stagecoach/triggers';
import type { TriggerServiceDeps } from './deps.js';
import { rawBodyOf, readPayload, resultBody } from './http.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_IDEMPOTENCY_KEY = 255;

interface HookInput {
  trigger: TriggerRow;
  secret: string;
  headers: Headers;
  query: Record<string, string | undefined>;
  raw: Buffer;
  body: Loose;
}

/** What one kind makes of an authenticated delivery: its key, event, match and run arguments. */
interface HookOutcome {
  deliveryKey: string;
  event: string;
  ignore?: string;
  /** params taken from the body, which the sender answers for */
  params?: Record<string, string>;
  context?: Record<string, string>;
}

interface HookKind {
  verify(input: HookInput): boolean;
  decide(input: HookInput): HookOutcome;
}

const KINDS: Partial<Record<TriggerKind, HookKind>> = {
  jira: {
    verify: (i) => verifyJira(i.headers, i.raw, i.query.token, i.secret),
    decide: (i) => {
      const match = matchJira(i.trigger.config as unknown as JiraConfig, i.body);
      return {
        deliveryKey: deliveryKeyOf(jiraDeliveryId(i.headers), i.raw),
        event: String(i.body?.webhookEvent ?? 'unknown'),
        ignore: match.ok ? undefined : match.reason,
        context: { issue_key: String(i.body?.issue?.key ?? '') },
      };
    },
  },
  meego: {
    verify: (i) => verifyMeego(i.body, i.secret),
    decide: (i) => {
      const match = matchMeego(i.body);
      const item = meegoWorkItem(i.body);
      return {
        deliveryKey: deliveryKeyOf(meegoDeliveryId(i.body), i.raw),
        event: String(i.body?.header?.event_type ?? 'unknown'),
        ignore: match.ok ? undefined : match.reason,
        context: item
          ? { project_key: item.projectKey, work_item_type_key: item.workItemTypeKey, work_item_id: item.workItemId }
          : undefined,
      };
    },
  },
  general: {
    verify: (i) => verifyGeneral(i.headers, i.raw, i.secret),
    decide: (i) => {
      const idempotencyKey = generalDeliveryId(i.headers);
      if (idempotencyKey !== undefined && (idempotencyKey === '' || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
        throw new ValidationError('invalid Idempotency-Key header', [
          { path: 'headers.idempotency-key', message: `1 to ${MAX_IDEMPOTENCY_KEY} characters` },
        ]);
      }
      const mapped = mapParams((i.trigger.config as GeneralConfig).param_mapping, i.body);
      if (!mapped.ok)
        throw new ValidationError('the body does not give the params the trigger maps from it', mapped.issues);
      return {
        // Without an Idempotency-Key every delivery is new: identical bodies may be meant twice.
        deliveryKey: idempotencyKey ? `key:${idempotencyKey}` : `once:${randomUUID()}`,
        event: 'webhook',
        params: mapped.params,
      };
    },
  },
};

/**
 * `POST /hooks/{jira,meego,general}/:triggerId`: the trigger named in the path authenticates the
 * delivery with its secret, decides it and answers once the run is durably started.
 */
export const triggerHooks: FastifyPluginAsync<{ deps: TriggerServiceDeps }> = async (app, { deps }) => {
  for (const [kind, handler] of Object.entries(KINDS) as [TriggerKind, HookKind][]) {
    app.post<{ Params: { triggerId: string }; Querystring: Record<string, string | undefined> }>(
      `/hooks/${kind}/:triggerId`,
      // A parameter given twice (`?token=a&token=b`) is refused here rather than compared as a list.
      { schema: { querystring: { type: 'object', additionalProperties: { type: 'string' } } } },
      async (request) => {
        const { triggerId } = request.params;
        const trigger = UUID.test(triggerId) ? await getTrigger(deps.db, triggerId) : undefined;
        if (!trigger || trigger.kind !== kind) throw new NotFoundError(`no ${kind} trigger ${triggerId}`);
        const secret = triggerSecrets(deps.box, trigger).secret;
        const input: HookInput = {
          trigger,
          secret: secret ?? '',
          headers: request.headers as Headers,
          query: request.query,
          raw: rawBodyOf(request),
          body: request.body,
        };
        if (!secret || !readPayload(kind, () => handler.verify(input)))
          throw new UnauthorizedError(`the ${kind} delivery is not signed with the trigger's secret`);
        const outcome = readPayload(kind, () => handler.decide(input));
        const result = await fire(deps, {
          source: kind,
          deliveryKey: outcome.deliveryKey,
          trigger,
          event: outcome.event,
          ignore: outcome.ignore,
          params: { ...triggerParams(deps.box, trigger), ...outcome.params },
          deliveryParams: outcome.params && Object.keys(outcome.params),
          variables: flattenPayload(request.body),
          context: outcome.context,
        });
        return { results: [resultBody(trigger, result)] };
      },
    );
  }
};
