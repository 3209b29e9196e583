import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type InjectedSinks } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSinks } from '@stagecoach/contracts';

// The determinism guard: every recorded history must replay against today's workflow code. A change
// to released workflow logic that is not behind patched() fails here. New fixtures come from
// scripts/record-replay-histories.ts. The `built-` ones were written by hand, for interleavings a live
// run produces only by chance (two jobs of a parallel stage settling in one workflow task, in either
// order); the code of ef97110 replays them.
const fixtures = resolve(import.meta.dirname, '../test-fixtures');
const files = readdirSync(fixtures).filter((f) => f.endsWith('.json'));
const fixture = (file: string) => JSON.parse(readFileSync(join(fixtures, file), 'utf8'));

let workflowBundle: { code: string };
/** The run workflow's sink as the worker registers it; a replay publishes nothing (callDuringReplay is off). */
const sinks: InjectedSinks<RunSinks> = { runEvents: { publish: { fn: () => undefined } } };
beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed already in this process
  }
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: createRequire(import.meta.url).resolve('@stagecoach/workflows'),
    logger: new DefaultLogger('ERROR'),
  });
}, 120_000);

describe('replaying recorded histories', () => {
  it('has fixtures to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  it.each(files)(
    '%s replays without nondeterminism',
    async (file) => {
      await expect(Worker.runReplayHistory({ workflowBundle, sinks }, fixture(file), file)).resolves.toBeUndefined();
    },
    60_000,
  );

  // Run input version 2 skips the checks of patches released before it. The gateway may be upgraded
  // before the workers: a worker from before version 2 then runs a version-2 input and writes those
  // markers, and today's code must still replay what it wrote. The v5 histories are that worker's.
  it.each(files.filter((f) => f.startsWith('v5-')))(
    '%s with its input raised to version 2 replays without nondeterminism',
    async (file) => {
      const history = withInputVersion(fixture(file), 2);
      await expect(Worker.runReplayHistory({ workflowBundle, sinks }, history, file)).resolves.toBeUndefined();
    },
    60_000,
  );
});

/** `history` (proto3 JSON) with the run input's version set to `version`. */
function withInputVersion(history: any, version: number): unknown {
  const payload = history.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
  const input = JSON.parse(Buffer.from(payload.data, 'base64').toString());
  payload.data = Buffer.from(JSON.stringify({ ...input, version })).toString('base64');
  return history;
}
