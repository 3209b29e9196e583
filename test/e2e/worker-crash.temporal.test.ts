import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, job } from '@stagecoach/testkit';

let engine: Engine;
const workers: ChildProcess[] = [];

/** The real worker process (services/worker/src/main.ts) on this engine's task queue, streams and database. */
function startWorkerProcess(): ChildProcess {
  const child = engine.spawnService('worker');
  workers.push(child);
  return child;
}

beforeAll(async () => {
  engine = await Engine.start({ inProcessWorker: false });
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await engine?.stop();
});

describe('a worker killed with SIGKILL mid-job', () => {
  it('loses nothing: after a new worker starts the run completes, earlier jobs are not repeated', async () => {
    await engine.defineWorkflow({
      name: 'crashy',
      project: 'crash',
      stages: [
        { name: 'first', jobs: [{ name: 'first', type: 'freestyle', spec: { script: 'echo first-ran' } }] },
        {
          name: 'long',
          jobs: [
            {
              name: 'long',
              type: 'freestyle',
              spec: {
                script: 'echo long-start; sleep 4; echo long-end; RESULT=ok',
                advanced_setting: { outputs: [{ name: 'RESULT' }] },
              },
            },
          ],
        },
        {
          name: 'last',
          jobs: [{ name: 'last', type: 'freestyle', spec: { script: 'echo "got {{.job.long.output.RESULT}}"' } }],
        },
      ],
    });
    const first = startWorkerProcess();
    const n = await engine.startRun('crash', 'crashy');
    await engine.waitForRun('crash', 'crashy', n, (r) => job(r, 'long').status === 'running', 90_000);
    await new Promise((r) => setTimeout(r, 500));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    startWorkerProcess();
    const run = await engine.waitForStatus('crash', 'crashy', n, ['passed', 'failed'], 120_000);
    expect(run.status).toBe('passed');
    expect(job(run, 'last').status).toBe('passed');
    const firstLog = await engine.api('GET', `/api/v1/projects/crash/workflows/crashy/runs/${n}/jobs/first/logs`);
    expect(firstLog.text.match(/first-ran/g)).toHaveLength(1);
    const lastLog = await engine.api('GET', `/api/v1/projects/crash/workflows/crashy/runs/${n}/jobs/last/logs`);
    expect(lastLog.text).toContain('got ok');
    const longLog = await engine.api('GET', `/api/v1/projects/crash/workflows/crashy/runs/${n}/jobs/long/logs`);
    expect(longLog.text).toContain('long-end');
  });
});
