import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { startTestStack } from './test-stack.js';

const require = createRequire(import.meta.url);

/** Servers for the temporal project, and the workflow bundle built once for every test worker. */
export default async function setup(): Promise<() => Promise<void>> {
  const stack = await startTestStack({ temporal: true });
  Object.assign(process.env, stack.env);
  const dir = mkdtempSync(join(tmpdir(), 'sc-bundle-'));
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('@stagecoach/workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const codePath = join(dir, 'workflows.js');
  writeFileSync(codePath, code);
  process.env.STAGECOACH_TEST_WORKFLOW_BUNDLE = codePath;
  return async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
