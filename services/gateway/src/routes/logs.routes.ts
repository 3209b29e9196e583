import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_STREAM_NAMES, jobLogSubject, lastLogSeq, readJobLog, runEnded } from '@stagecoach/events';
import { currentAttempt } from '@stagecoach/runs';
import { isDone, isTerminal, type Status } from '@stagecoach/spec';
import type { GatewayDeps } from '../deps.js';
import { errorResponses, JobLogParams } from '../schemas.js';
import { ensureRunHasJob, existingRun, runServiceDeps } from './runs.routes.js';
import { access, inProject } from '../access/rules.js';

/** One SSE event carrying a chunk of log text; every line gets its own `data:` field, as the format requires. */
function sseData(text: string): string {
  return `${text
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}

export const logRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  app.get(
    '/projects/:project/workflows/:name/runs/:number/jobs/:job/logs',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['runs'],
        description:
          "A job's output: plain text of what is stored, or with `follow=1` a live Server-Sent Events stream that ends with an `end` event when the job finishes.",
        params: JobLogParams,
        querystring: Type.Object({
          follow: Type.Optional(Type.Enum(['1', 'true', '0', 'false'])),
        }),
        response: { 200: Type.String(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { project, name, number, job } = request.params;
      const run = await existingRun(deps.db, { project, name, number });
      const jobNow = ensureRunHasJob(run, job);
      const names = deps.names ?? DEFAULT_STREAM_NAMES;
      const subject = jobLogSubject(names, project, name, number, job);
      const follow = request.query.follow === '1' || request.query.follow === 'true';

      if (!follow) {
        let text = '';
        for await (const chunk of readJobLog(deps.js, subject, { names })) text += chunk;
        return reply.type('text/plain; charset=utf-8').send(text);
      }

      const attempt = await currentAttempt(runServiceDeps(deps), run);
      // Nothing more can be written: the run is over with no retry starting, the job is done in this
      // attempt (run, or kept from an earlier one), or it is an approval, which writes no log. A follower
      // then gets what is stored and the end; waiting for an end marker that never comes would hang it.
      const settled =
        (isTerminal(run.status as Status) && attempt === run.retryNum) ||
        isDone(jobNow.status as Status) ||
        jobNow.type === 'approval';

      const abort = new AbortController();
      request.raw.on('close', () => abort.abort());
      // A job its run ends without running writes no end marker: the run's end ends the tail then,
      // once what the job stored (if anything) is read.
      const watching = new AbortController();
      const until = settled
        ? undefined
        : runEnded(
            deps.js,
            { project, workflow: name, runNumber: number },
            {
              names,
              minRetry: attempt,
              signal: watching.signal,
            },
          ).then((ended) => (ended ? lastLogSeq(deps.js, subject, names) : new Promise<number>(() => undefined)));
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      reply.raw.write(': following\n\n');
      try {
        for await (const chunk of readJobLog(deps.js, subject, {
          follow: !settled,
          signal: abort.signal,
          minRetry: attempt,
          ...(until ? { until } : {}),
          names,
        })) {
          reply.raw.write(sseData(chunk));
        }
        reply.raw.write('event: end\ndata: \n\n');
      } catch (err) {
        request.log.warn({ err }, 'log stream failed');
        reply.raw.write('event: error\ndata: log stream interrupted\n\n');
      } finally {
        watching.abort();
        reply.raw.end();
      }
    },
  );
};
