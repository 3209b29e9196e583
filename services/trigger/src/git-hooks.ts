import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { runWorkflowId } from '@stagecoach/contracts';
import { listGitTriggersOfRepo, listSupersededRuns, type TriggerRow } from '@stagecoach/db';
import { UnauthorizedError, ValidationError } from '@stagecoach/platform';
import { cancelRun, type RunServiceDeps } from '@stagecoach/runs';
import {
  deliveryKeyOf,
  fire,
  flattenPayload,
  githubDeliveryId,
  gitlabDeliveryId,
  gitTriggerVariables,
  matchGitTrigger,
  parseGithub,
  parseGitee,
  parseGitlab,
  repoKey,
  triggerParams,
  triggerSecrets,
  verifyGitee,
  verifyGithub,
  verifyGitlab,
  type GitEvent,
  type GitSource,
  type Headers,
  type MainRepo,
  type ParsedDelivery,
} from '@stagecoach/triggers';
import type { TriggerServiceDeps } from './deps.js';
import { rawBodyOf, readPayload, registerGithubFormParser, resultBody } from './http.js';

/** Where each provider's payload names the repository a delivery is about. */
const REPOSITORY_FIELD: Record<GitSource, string> = {
  github: 'body.repository',
  gitlab: 'body.project.path_with_namespace',
  gitee: 'body.repository.full_name',
};

interface Provider {
  /** the header that names the event; every delivery of the provider sends it */
  eventHeader: string;
  parse(headers: Headers, body: unknown): ParsedDelivery;
  verify(headers: Headers, rawBody: Buffer, secret: string): boolean;
  deliveryId(headers: Headers): string | undefined;
}

const PROVIDERS: Record<GitSource, Provider> = {
  github: { eventHeader: 'x-github-event', parse: parseGithub, verify: verifyGithub, deliveryId: githubDeliveryId },
  gitlab: { eventHeader: 'x-gitlab-event', parse: parseGitlab, verify: verifyGitlab, deliveryId: gitlabDeliveryId },
  // Gitee sends no delivery id header; a redelivery repeats the body, whose digest is the key.
  gitee: { eventHeader: 'x-gitee-event', parse: parseGitee, verify: verifyGitee, deliveryId: () => undefined },
};

/**
 * What every delivery of the provider has, asked for before anything else: without the event header
 * or a JSON object to read, the answer would otherwise be about a repository the payload cannot name.
 */
function refuseIncompleteDelivery(
  source: GitSource,
  provider: Provider,
  headers: Headers,
  body: unknown,
  raw: Buffer,
): void {
  if (!headers[provider.eventHeader]) {
    throw new ValidationError(`${source}: the ${provider.eventHeader} header names the event and is required`, [
      { path: `headers.${provider.eventHeader}`, message: 'required' },
    ]);
  }
  // The JSON parser reads no bytes as {}, which other hooks accept; a git delivery always has a payload.
  if (raw.length === 0 || typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError(`${source}: the delivery carries no payload: a JSON object is required`, [
      { path: 'body', message: 'must be a JSON object' },
    ]);
  }
}

/** The subject auto-cancel compares: the PR for PR events, the ref otherwise. */
const subjectOf = (event: GitEvent) =>
  event.event === 'pull_request'
    ? `pr:${event.pr}`
    : event.event === 'tag'
      ? `tag:${event.tag}`
      : `branch:${event.branch}`;

/**
 * `POST /hooks/{github,gitlab,gitee}`: every git trigger watching the payload's repository whose
 * secret verifies the delivery decides it (start a run or record why not). No trigger's secret
 * verifying is a 401; the answer lists each trigger's decision once the runs are durably started.
 */
export const gitHooks: FastifyPluginAsync<{ deps: TriggerServiceDeps }> = async (app, { deps }) => {
  const runs: RunServiceDeps = deps;

  async function autoCancel(trigger: TriggerRow, event: GitEvent, runNumber: number): Promise<void> {
    const superseded = await listSupersededRuns(deps.db, {
      project: trigger.project,
      workflow: trigger.workflow,
      event: event.event,
      subject: subjectOf(event),
      commitId: event.commitId,
    });
    for (const n of superseded.filter((n) => n !== runNumber)) {
      await cancelRun(runs, runWorkflowId(trigger.project, trigger.workflow, n)).catch((err: Error) =>
        app.log.info({ err: err.message, run: n }, 'auto-cancel skipped a run that had already ended'),
      );
    }
  }

  /** The hook of one provider. */
  const deliveryHandler = (source: GitSource) => async (request: FastifyRequest, reply: FastifyReply) => {
    const provider = PROVIDERS[source];
    const headers = request.headers as Headers;
    const raw = rawBodyOf(request);
    refuseIncompleteDelivery(source, provider, headers, request.body, raw);
    const parsed = readPayload(source, () => provider.parse(headers, request.body));
    if (parsed.kind === 'ping') return { ok: true, message: 'pong' };
    // An event always names its repository; an ignored delivery may not, and says why.
    if (parsed.kind === 'ignored' && !parsed.repo) {
      throw new ValidationError(`${source}: ${parsed.reason}`, [
        { path: REPOSITORY_FIELD[source], message: 'required' },
      ]);
    }
    const repo =
      parsed.kind === 'event' ? { owner: parsed.event.repoOwner, name: parsed.event.repoName } : parsed.repo!;

    const candidates = await listGitTriggersOfRepo(deps.db, repoKey(source, repo.owner, repo.name));
    const verified = candidates.filter((t) => {
      const secret = triggerSecrets(deps.box, t).secret;
      return secret !== undefined && provider.verify(headers, raw, secret);
    });
    if (candidates.length > 0 && verified.length === 0) {
      throw new UnauthorizedError(
        `the ${source} delivery's signature does not verify with any trigger of ${repo.owner}/${repo.name}`,
      );
    }
    if (verified.length === 0) {
      return reply.status(202).send({ results: [], message: `no trigger watches ${repo.owner}/${repo.name}` });
    }

    const deliveryKey = deliveryKeyOf(provider.deliveryId(headers), raw);
    const variables =
      parsed.kind === 'event' ? { ...flattenPayload(request.body), ...gitTriggerVariables(parsed.event) } : {};
    const results = [];
    for (const trigger of verified) {
      const config = trigger.config as { main_repo: MainRepo; auto_cancel?: boolean };
      const match =
        parsed.kind === 'event'
          ? matchGitTrigger(config.main_repo, parsed.event)
          : { ok: false as const, reason: parsed.reason };
      const event = parsed.kind === 'event' ? parsed.event : undefined;
      const result = await fire(runs, {
        source,
        deliveryKey,
        trigger,
        event: event?.event ?? (parsed.kind === 'ignored' ? parsed.event : ''),
        ignore: match.ok ? undefined : match.reason,
        params: triggerParams(deps.box, trigger),
        variables,
        context: event ? { subject: subjectOf(event), commit_id: event.commitId } : {},
      });
      if (event && result.decision === 'started' && !result.duplicate && config.auto_cancel) {
        await autoCancel(trigger, event, result.runNumber!);
      }
      results.push(resultBody(trigger, result));
    }
    return { results };
  };

  for (const source of Object.keys(PROVIDERS) as GitSource[]) {
    // Scoped to the one route: only GitHub sends forms.
    await app.register(async (route) => {
      if (source === 'github') registerGithubFormParser(route);
      route.post(`/hooks/${source}`, deliveryHandler(source));
    });
  }
};
