// `npm start` as a new user runs it (npm-start-sandbox.ts). It must start its own Temporal dev server
// and NATS, create and migrate its database, start the four services, seed the demo, print where
// everything is, run the demo end to end, keep Temporal's data in its state folder across a restart,
// and stop everything it started on Ctrl-C.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflowId } from '@stagecoach/contracts';
import { isTerminal } from '@stagecoach/spec';
import { job } from '@stagecoach/testkit';
import { NpmStartSandbox } from './npm-start-sandbox.js';

let sandbox: NpmStartSandbox;
beforeAll(async () => {
  sandbox = await NpmStartSandbox.create();
});
afterAll(async () => {
  await sandbox?.cleanup();
});

describe('npm start', () => {
  it('starts everything with embedded defaults, runs the demo, and stops it all on Ctrl-C', async () => {
    const { ports, stateDir, env } = sandbox;
    const start = await sandbox.start();
    expect(start.output).toContain(`API            http://127.0.0.1:${ports.gateway}/api/v1`);
    expect(start.output).toContain(`API docs       http://127.0.0.1:${ports.gateway}/docs`);
    expect(start.output).toContain(`Temporal UI    http://127.0.0.1:${ports.temporalUi}`);
    expect(start.output).not.toContain('already at');
    expect(start.output).not.toContain('Kubernetes');
    expect((await fetch(`http://127.0.0.1:${ports.gateway}/docs`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.temporalUi}`)).status).toBe(200);

    // The seeded demo, run as the README says, through its approval to the end.
    const started = await sandbox.api('POST', '/api/v1/projects/demo/workflows/hello/runs', {});
    expect(started.status).toBe(201);
    const n = started.body.run_number as number;
    // The first job waits for the worker, which bundles the workflow code as it starts.
    await sandbox.waitForRun('hello', n, (run) => job(run, 'release-approval').status === 'wait_for_approval', 180_000);
    const vote = await sandbox.api('POST', `/api/v1/projects/demo/workflows/hello/runs/${n}/approvals`, {
      job: 'release-approval',
      approve: true,
    });
    expect(vote.status).toBe(200);
    const run = await sandbox.waitForRun('hello', n, (r) => isTerminal(r.status));
    expect(run.status).toBe('passed');
    expect(job(run, 'build').outputs).toEqual({ IMAGE: `demo/hello:${n}` });
    const smoke = await sandbox.api('GET', `/api/v1/projects/demo/workflows/hello/runs/${n}/jobs/smoke/logs`);
    expect(smoke.body).toContain(`smoke testing demo/hello:${n} on staging`);

    await sandbox.expectAllStopped(start);
    // Its servers kept their data where it was told to.
    expect(existsSync(join(stateDir, 'temporal.db'))).toBe(true);
    expect(existsSync(join(stateDir, 'nats', 'jetstream'))).toBe(true);

    // Started again on the same state folder: Temporal kept the run, and seeding again changed nothing.
    const again = await sandbox.start();
    const temporal = new Client({ connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS! }) });
    try {
      const described = await temporal.workflow.getHandle(runWorkflowId('demo', 'hello', n)).describe();
      expect(described.status.name).toBe('COMPLETED');
    } finally {
      await temporal.connection.close();
    }
    const versions = await sandbox.api('GET', '/api/v1/projects/demo/workflows/hello/versions');
    expect(versions.status).toBe(200);
    expect(versions.body.versions).toHaveLength(1);
    await sandbox.expectAllStopped(again);
  }, 900_000);
});
