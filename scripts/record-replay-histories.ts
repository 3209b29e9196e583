// Records the Temporal histories the replay tests (workflows/src/replay.test.ts) check the workflow
// code against. Run it when a released workflow change is introduced behind patched(): the new
// histories join the old ones, and every one of them must keep replaying.
//   npx tsx scripts/record-replay-histories.ts <name>
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { temporalBinary } from '@stagecoach/stack';
import { Engine, startTestStack } from '@stagecoach/testkit';

const label = process.argv[2];
if (!label) throw new Error('usage: record-replay-histories.ts <name>');
const out = resolve(import.meta.dirname, '../workflows/test-fixtures');
const stack = await startTestStack({ temporal: true });
Object.assign(process.env, stack.env);
const engine = await Engine.start();
try {
  const definition = {
    project: 'replay',
    params: [
      { name: 'greeting', type: 'string', value: 'hi' },
      { name: 'owner_email', type: 'string', value: 'owner@example.com' },
    ],
    stages: [
      {
        name: 'build',
        jobs: [
          {
            name: 'build',
            type: 'freestyle',
            spec: { script: 'V="{{.workflow.params.greeting}}-1"', advanced_setting: { outputs: [{ name: 'V' }] } },
          },
          { name: 'flaky', type: 'freestyle', spec: { script: 'exit 1' }, error_policy: { policy: 'ignore_error' } },
          {
            // Fails its first attempt and passes the retry 10 s later: the marker file outlives the workspace.
            name: 'retried',
            type: 'freestyle',
            spec: {
              script:
                'F="${TMPDIR:-/tmp}/replay-retried-$WORKFLOW-$TASK_ID"; if [ -e "$F" ]; then rm -f "$F"; else touch "$F"; exit 1; fi',
            },
            error_policy: { policy: 'retry', maximum_retry: 1 },
          },
          {
            name: 'checked',
            type: 'freestyle',
            spec: { script: 'exit 1' },
            error_policy: { policy: 'manual_check', approval_users: [{ user_name: 'ann' }] },
          },
          {
            // Resolves dynamic_recipients in the workflow; no SMTP here, so the delivery fails and is ignored.
            name: 'tell',
            type: 'notification',
            spec: {
              webhook_type: 'mail',
              mail_notification_config: { dynamic_recipients: ['workflow.params.owner_email'] },
              title: 'built {{.workflow.params.greeting}}',
              content: 'done',
            },
            error_policy: { policy: 'ignore_error' },
          },
        ],
      },
      {
        name: 'gate',
        jobs: [
          {
            // Two votes: the first leaves the approval waiting, the second decides it.
            name: 'gate',
            type: 'approval',
            spec: {
              native_approval: { approve_users: [{ user_name: 'ann' }, { user_name: 'bob' }], needed_approvers: 2 },
            },
          },
        ],
      },
      {
        name: 'ship',
        parallel: true,
        manual_exec: { enabled: true, modify_params: true, manual_exec_users: [{ user_name: 'ann' }] },
        jobs: [
          { name: 'a', type: 'freestyle', spec: { script: 'echo {{.job.build.output.V}}' } },
          { name: 'b', type: 'freestyle', spec: { script: 'true' } },
        ],
      },
    ],
  };
  /** A run that passes (a retry, a manual check, a two-vote approval, manual-exec resume with edited inputs) and one cancelled at its approval. */
  const record = async (workflow: string, suffix: string) => {
    /** Starts a run and lets ann ignore the failure of its `checked` job. */
    const startPastTheCheck = async () => {
      const run = await engine.startRun('replay', workflow);
      await engine.waitForRun(
        'replay',
        workflow,
        run,
        (r) =>
          r.stages[0].jobs.find((j: { name: string }) => j.name === 'checked').status ===
          'wait_for_manual_error_handling',
      );
      await engine.api(
        'POST',
        `/api/v1/projects/replay/workflows/${workflow}/runs/${run}/decisions`,
        { job: 'checked', decision: 'ignore' },
        { user: 'ann' },
      );
      return run;
    };
    const passed = await startPastTheCheck();
    await engine.waitForRun('replay', workflow, passed, (r) => r.stages[1].jobs[0].status === 'wait_for_approval');
    for (const user of ['ann', 'bob']) {
      await engine.api(
        'POST',
        `/api/v1/projects/replay/workflows/${workflow}/runs/${passed}/approvals`,
        { job: 'gate', approve: true },
        { user },
      );
    }
    await engine.waitForStatus('replay', workflow, passed, 'pause');
    await engine.api(
      'POST',
      `/api/v1/projects/replay/workflows/${workflow}/runs/${passed}/resume`,
      { stage: 'ship', inputs: { b: { script: 'echo edited' } } },
      { user: 'ann' },
    );
    await engine.waitForStatus('replay', workflow, passed, 'passed');

    const cancelled = await startPastTheCheck();
    await engine.waitForRun('replay', workflow, cancelled, (r) => r.stages[1].jobs[0].status === 'wait_for_approval');
    await engine.api('POST', `/api/v1/projects/replay/workflows/${workflow}/runs/${cancelled}/cancel`);
    await engine.waitForStatus('replay', workflow, cancelled, 'cancelled');

    for (const [kind, n] of [
      ['passed', passed],
      ['cancelled', cancelled],
    ] as const) {
      // The CLI writes the proto3 JSON form that Worker.runReplayHistory reads.
      const json = execFileSync(temporalBinary(), [
        'workflow',
        'show',
        '--address',
        stack.env.TEMPORAL_ADDRESS!,
        '-w',
        `replay/${workflow}/${n}`,
        '--output',
        'json',
      ]);
      const file = join(out, `${label}${suffix}-${kind}.json`);
      writeFileSync(file, json);
      console.log(`wrote ${file}`);
    }
  };
  // Gated, so the histories hold the permit handling around the manual-exec pause too.
  await engine.defineWorkflow({ name: 'replay', concurrency_limit: 1, ...definition });
  await record('replay', '');
  // Ungated: such a run starts with its status attribute already `running`.
  await engine.defineWorkflow({ name: 'ungated', ...definition });
  await record('ungated', '-ungated');
} finally {
  await engine.stop();
  await stack.stop();
}
