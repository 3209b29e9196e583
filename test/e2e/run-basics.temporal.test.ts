import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_RUN_WORKFLOW, SA_STATUS, type RunInput, type RunResult } from '@stagecoach/contracts';
import type { Job } from '@stagecoach/spec';
import { ADMIN_TOKEN, Engine, historyText, job, scheduledJob } from '@stagecoach/testkit';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.start();
});
afterAll(async () => {
  await engine?.stop();
});

/** A real git repository with a branch and a tag, served from the file system. */
function gitRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sc-repo-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'VERSION'), 'main-1\n');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  git('checkout', '-q', '-b', 'feature');
  writeFileSync(join(dir, 'VERSION'), 'feature-1\n');
  git('commit', '-q', '-am', 'feature');
  git('tag', 'v1.0.0');
  git('checkout', '-q', 'main');
  return dir;
}

describe('a freestyle run end to end', () => {
  it('clones, runs scripts with params and envs, passes outputs on, streams logs, masks credentials', async () => {
    const repo = gitRepo();
    await engine.defineWorkflow({
      name: 'basics',
      project: 'p1',
      params: [
        { name: 'greeting', type: 'string', value: 'hello' },
        { name: 'token', type: 'string', value: 'default-s3cret', is_credential: true },
      ],
      stages: [
        {
          name: 'build',
          jobs: [
            {
              name: 'build',
              type: 'freestyle',
              spec: {
                repos: [{ repo_name: 'app', address: `file://${repo}`, branch: 'feature' }],
                envs: [{ key: 'MODE', value: 'fast-{{.workflow.params.greeting}}' }],
                script: [
                  'set -e',
                  'echo "greeting=$greeting run={{.workflow.task.id}} creator={{.workflow.task.creator}}"',
                  'echo "version=$(cat app/VERSION) mode=$MODE"',
                  'echo "the token is {{.workflow.params.token}} and $token"',
                  'echo "link={{.workflow.task.url}}"',
                  'IMAGE="registry.local/app:$(cat app/VERSION)"',
                  'TOKEN_ECHO="$token"',
                ].join('\n'),
                advanced_setting: { outputs: [{ name: 'IMAGE' }, { name: 'TOKEN_ECHO' }] },
              },
            },
          ],
        },
        {
          name: 'deploy',
          jobs: [
            {
              name: 'deploy',
              type: 'freestyle',
              spec: {
                script:
                  'echo "deploying {{.job.build.output.IMAGE}} after {{.job.build.status}}; missing=[{{.job.nope.output.MISSING}}]"',
              },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun('p1', 'basics', { params: { greeting: 'hi', token: 's3cr3t-value' } }, 'bob');
    const run = await engine.waitForStatus('p1', 'basics', n, ['passed', 'failed']);
    expect(run.status).toBe('passed');
    expect(run.creator).toBe('bob');
    expect(run.params).toEqual({ greeting: 'hi' });
    expect(job(run, 'build').outputs).toEqual({ IMAGE: 'registry.local/app:feature-1', TOKEN_ECHO: '***' });
    expect(run.stages.map((s: any) => s.status)).toEqual(['passed', 'passed']);

    const buildLog = await engine.api('GET', `/api/v1/projects/p1/workflows/basics/runs/${n}/jobs/build/logs`);
    expect(buildLog.status).toBe(200);
    expect(buildLog.text).toContain(`greeting=hi run=${n} creator=bob`);
    expect(buildLog.text).toContain('version=feature-1 mode=fast-hi');
    expect(buildLog.text).toContain('the token is *** and ***');
    expect(buildLog.text).not.toContain('s3cr3t-value');
    expect(buildLog.text).toContain(`link=http://stagecoach.test/api/v1/projects/p1/workflows/basics/runs/${n}`);
    const deployLog = await engine.api('GET', `/api/v1/projects/p1/workflows/basics/runs/${n}/jobs/deploy/logs`);
    expect(deployLog.text).toContain('deploying registry.local/app:feature-1 after passed; missing=[]');

    // The credential never reached Temporal: not in the start input, not in any event of the history.
    const history = await historyText(engine.temporal.workflow.getHandle(`p1/basics/${n}`));
    expect(history).toContain('"secretParams":["token"]');
    expect(history).not.toContain('s3cr3t-value');
    expect(history).not.toContain('default-s3cret');
    const description = await engine.temporal.workflow.getHandle(`p1/basics/${n}`).describe();
    expect(description.typedSearchAttributes.get(SA_STATUS)).toBe('passed');
  });

  it("fills in a credential only where the definition's author asked for it, not where a job's output spells it", async () => {
    await engine.defineWorkflow({
      name: 'injected',
      project: 'p1',
      params: [{ name: 'token', type: 'string', value: '', is_credential: true }],
      stages: [
        {
          name: 'build',
          jobs: [
            {
              name: 'build',
              type: 'freestyle',
              // Text a build cannot be trusted with (a commit message, say) spells the placeholder at run time.
              spec: {
                script: 'MSG="x{{"".workflow.params.token}}y"',
                advanced_setting: { outputs: [{ name: 'MSG' }] },
              },
            },
          ],
        },
        {
          name: 'deploy',
          jobs: [
            {
              name: 'deploy',
              type: 'freestyle',
              spec: {
                script: [
                  'echo "message=[{{.job.build.output.MSG}}]"',
                  '[ "{{.workflow.params.token}}" = "s3cr3t-value" ] && echo "the author\'s placeholder has it"',
                ].join('\n'),
              },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun('p1', 'injected', { params: { token: 's3cr3t-value' } });
    const run = await engine.waitForStatus('p1', 'injected', n, ['passed', 'failed']);
    expect(run.status).toBe('passed');
    const deployLog = await engine.api('GET', `/api/v1/projects/p1/workflows/injected/runs/${n}/jobs/deploy/logs`);
    expect(deployLog.text).toContain('message=[xy]');
    expect(deployLog.text).toContain("the author's placeholder has it");
  });

  it('the Temporal Web UI finds a run by its status throughout, an ungated run written once, at its end', async () => {
    await engine.defineWorkflow({
      name: 'findable',
      project: 'p1',
      stages: [
        {
          name: 'gate',
          jobs: [
            {
              name: 'approve',
              type: 'approval',
              spec: { native_approval: { approve_users: [{ type: 'task_creator' }] } },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun('p1', 'findable', {}, 'bob');
    const handle = engine.temporal.workflow.getHandle(`p1/findable/${n}`);
    // Patches upsert TemporalChangeVersion: only writes of the run's status count here.
    const statusWrites = async () =>
      (await handle.fetchHistory()).events!.filter(
        (e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[SA_STATUS.name],
      ).length;
    await engine.waitForRun('p1', 'findable', n, (r) => job(r, 'approve').status === 'wait_for_approval');
    // It started as running: the workflow had nothing to write.
    expect((await handle.describe()).typedSearchAttributes.get(SA_STATUS)).toBe('running');
    expect(await statusWrites()).toBe(0);

    const vote = await engine.api(
      'POST',
      `/api/v1/projects/p1/workflows/findable/runs/${n}/approvals`,
      {
        job: 'approve',
        approve: true,
      },
      { user: 'bob' },
    );
    expect(vote.status).toBe(200);
    await engine.waitForStatus('p1', 'findable', n, 'passed');
    await handle.result();
    expect((await handle.describe()).typedSearchAttributes.get(SA_STATUS)).toBe('passed');
    expect(await statusWrites()).toBe(1);
  });

  it('a sequential stage stops at the first failed job; a parallel stage runs every job', async () => {
    await engine.defineWorkflow({
      name: 'shapes',
      project: 'p1',
      stages: [
        {
          name: 'par',
          parallel: true,
          jobs: [
            { name: 'fails', type: 'freestyle', spec: { script: 'exit 3' } },
            { name: 'slow-ok', type: 'freestyle', spec: { script: 'sleep 1; echo done' } },
          ],
        },
        { name: 'never', jobs: [{ name: 'after', type: 'freestyle', spec: { script: 'true' } }] },
      ],
    });
    const n = await engine.startRun('p1', 'shapes');
    const run = await engine.waitForStatus('p1', 'shapes', n, ['passed', 'failed']);
    expect(run.status).toBe('failed');
    expect(job(run, 'fails').status).toBe('failed');
    expect(job(run, 'fails').error).toContain('3');
    expect(job(run, 'slow-ok').status).toBe('passed');
    expect(job(run, 'after').status).toBe('');
    expect(run.stages[1].status).toBe('');

    await engine.defineWorkflow({
      name: 'seq',
      project: 'p1',
      stages: [
        {
          name: 'seq',
          jobs: [
            { name: 'first', type: 'freestyle', spec: { script: 'exit 1' } },
            { name: 'second', type: 'freestyle', spec: { script: 'true' } },
          ],
        },
      ],
    });
    const m = await engine.startRun('p1', 'seq');
    const seq = await engine.waitForStatus('p1', 'seq', m, ['passed', 'failed']);
    expect(seq.status).toBe('failed');
    expect(job(seq, 'first').status).toBe('failed');
    expect(job(seq, 'second').status).toBe('');
  });

  it('a job whose environment no process can start with fails at once, naming the variable', async () => {
    await engine.defineWorkflow({
      name: 'huge-param',
      project: 'p1',
      params: [{ name: 'notes', type: 'text', value: '' }],
      stages: [{ name: 's', jobs: [{ name: 'use', type: 'freestyle', spec: { script: 'echo "${#notes}"' } }] }],
    });
    const n = await engine.startRun('p1', 'huge-param', { params: { notes: 'n'.repeat(200_000) } });
    const run = await engine.waitForStatus('p1', 'huge-param', n, ['passed', 'failed']);
    expect(run.status).toBe('failed');
    expect(job(run, 'use').error).toBe(
      'environment variable notes is 200007 bytes; a process can be started with at most 131072 per variable',
    );
    // One attempt: every other would fail alike.
    const history = await engine.temporal.workflow.getHandle(`p1/huge-param/${n}`).fetchHistory();
    const attempts = history.events!.flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? []);
    expect(attempts).toEqual([1]);
  });

  it('a parallel job that cannot even start fails the run, and the jobs beside it still start', async () => {
    // Validation refuses a job without a spec, so only a workflow started around it can carry one.
    const handle = await engine.temporal.workflow.start(PIPELINE_RUN_WORKFLOW, {
      workflowId: `p1/unstartable/${randomBytes(4).toString('hex')}`,
      taskQueue: engine.taskQueue,
      args: [
        {
          version: 2,
          project: 'p1',
          projectDisplayName: 'p1',
          workflow: 'unstartable',
          runNumber: 1,
          creator: 'alice',
          createdAt: Date.now(),
          definition: {
            name: 'unstartable',
            project: 'p1',
            stages: [
              {
                name: 'par',
                parallel: true,
                jobs: [
                  { name: 'no-spec', type: 'freestyle' } as Job,
                  { name: 'beside', type: 'freestyle', spec: { script: 'true' } },
                ],
              },
            ],
          },
          params: {},
          secretParams: [],
        } satisfies RunInput,
      ],
    });
    const result = (await handle.result()) as RunResult;
    expect(result.status).toBe('failed');
    expect(result.error).toContain('advanced_setting');
    const started = (await handle.fetchHistory()).events!.flatMap((event) => scheduledJob(event)?.job ?? []);
    expect(started).toEqual(['beside']);
  });

  it('ignore_error makes the job unstable and the run passed; execute_policy and run_policy skip jobs', async () => {
    await engine.defineWorkflow({
      name: 'policies',
      project: 'p1',
      params: [{ name: 'env', type: 'string', value: 'dev' }],
      stages: [
        {
          name: 's1',
          jobs: [
            { name: 'flaky', type: 'freestyle', spec: { script: 'exit 1' }, error_policy: { policy: 'ignore_error' } },
            {
              name: 'prod-only',
              type: 'freestyle',
              spec: { script: 'true' },
              execute_policy: {
                type: 'execute',
                match_rule: 'all',
                rules: [{ field: '{{.workflow.params.env}}', verb: '=', value: 'prod' }],
              },
            },
            { name: 'optional', type: 'freestyle', spec: { script: 'true' }, run_policy: 'default_not_run' },
            { name: 'chosen', type: 'freestyle', spec: { script: 'true' }, run_policy: 'default_not_run' },
          ],
        },
      ],
    });
    const n = await engine.startRun('p1', 'policies', { run_jobs: ['chosen'] });
    const run = await engine.waitForStatus('p1', 'policies', n, ['passed', 'failed']);
    expect(run.status).toBe('passed');
    expect(job(run, 'flaky').status).toBe('unstable');
    expect(job(run, 'prod-only').status).toBe('skipped');
    expect(job(run, 'optional').status).toBe('skipped');
    expect(job(run, 'chosen').status).toBe('passed');
    expect(run.stages[0].status).toBe('passed');
  });

  it('retry policy re-runs a failing job 10 s apart until it passes', async () => {
    await engine.defineWorkflow({
      name: 'retrying',
      project: 'p1',
      stages: [
        {
          name: 's1',
          jobs: [
            {
              name: 'second-time-lucky',
              type: 'freestyle',
              // The marker survives between attempts because it lives outside the per-job workspace.
              spec: {
                script: `m=/tmp/sc-retry-{{.workflow.task.id}}-${engine.id}; if [ -f $m ]; then echo ok; else touch $m; exit 1; fi`,
              },
              error_policy: { policy: 'retry', maximum_retry: 2 },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun('p1', 'retrying');
    const run = await engine.waitForStatus('p1', 'retrying', n, ['passed', 'failed'], 60_000);
    expect(run.status).toBe('passed');
    const j = job(run, 'second-time-lucky');
    expect(j.retry_count).toBe(1);
    expect(new Date(j.end_time).getTime() - new Date(j.start_time).getTime()).toBeGreaterThanOrEqual(10_000);
  });
});

describe('live logs', () => {
  it('follows a running job over SSE and ends when the job does', async () => {
    await engine.defineWorkflow({
      name: 'chatty',
      project: 'p1',
      stages: [
        {
          name: 's',
          jobs: [
            {
              name: 'talk',
              type: 'freestyle',
              spec: { script: 'for i in 1 2 3 4; do echo "line-$i"; sleep 0.7; done' },
            },
          ],
        },
      ],
    });
    const address = await engine.app.listen({ host: '127.0.0.1', port: 0 });
    const n = await engine.startRun('p1', 'chatty');
    await engine.waitForRun('p1', 'chatty', n, (r) => job(r, 'talk').status === 'running');
    const res = await fetch(`${address}/api/v1/projects/p1/workflows/chatty/runs/${n}/jobs/talk/logs?follow=1`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    let sawLiveLine = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value);
      if (!sawLiveLine && received.includes('data: line-1')) {
        // The first line arrived while the job was still running: this is a live tail, not a replay.
        sawLiveLine = (await engine.getRun('p1', 'chatty', n)).status === 'running';
      }
    }
    expect(sawLiveLine).toBe(true);
    for (const i of [1, 2, 3, 4]) expect(received).toContain(`data: line-${i}`);
    expect(received.trimEnd().endsWith('event: end\ndata:')).toBe(true);
  });
});
