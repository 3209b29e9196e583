// `STAGECOACH_LOCAL_K8S=1 npm start` (README, first section): npm start also runs a local Kubernetes
// control plane, prints its KUBECONFIG, makes it the local cluster of every deploy job, and stops it on
// Ctrl-C with everything else.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClients, kubeConfigOf } from '@stagecoach/kube';
import { isPortOpen } from '@stagecoach/stack';
import { deployApp, testNamespace } from '@stagecoach/testkit';
import { NpmStartSandbox } from './npm-start-sandbox.js';

let sandbox: NpmStartSandbox;
beforeAll(async () => {
  sandbox = await NpmStartSandbox.create({ STAGECOACH_LOCAL_K8S: '1' });
});
afterAll(async () => {
  await sandbox?.cleanup();
});

describe('STAGECOACH_LOCAL_K8S=1 npm start', () => {
  it('runs a control plane that deploy jobs use as the local cluster, and stops it on Ctrl-C', async () => {
    const start = await sandbox.start();
    const kubeconfigPath = /Kubernetes {5}KUBECONFIG=(\S+)/.exec(start.output)?.[1];
    expect(kubeconfigPath, start.output).toBeDefined();
    const kubeconfig = kubeConfigOf({ kubeconfig: readFileSync(kubeconfigPath!, 'utf8') });
    const apiServerPort = Number(new URL(kubeconfig.getCurrentCluster()!.server).port);
    const clients = new KubeClients(kubeconfig);
    const namespace = await testNamespace(clients, 'npm-start');
    await deployApp(clients, namespace, 'web', { replicas: 1, image: 'registry.local/app:v1' });

    // A deploy job naming no cluster: the local one, which npm start gave the worker.
    const saved = await sandbox.api('PUT', '/api/v1/projects/demo/workflows/ship', {
      name: 'ship',
      project: 'demo',
      stages: [
        {
          name: 'deploy',
          jobs: [
            {
              name: 'deploy',
              type: 'custom-deploy',
              spec: { namespace, targets: [{ target: 'Deployment/web/app', image: 'registry.local/app:v2' }] },
            },
          ],
        },
      ],
    });
    expect(saved.status, JSON.stringify(saved.body)).toBeLessThan(300);
    const started = await sandbox.api('POST', '/api/v1/projects/demo/workflows/ship/runs', {});
    expect(started.status).toBe(201);
    const run = await sandbox.waitForRun(
      'ship',
      started.body.run_number,
      (r) => r.status === 'passed' || r.status === 'failed',
      180_000,
    );
    expect(run.status, JSON.stringify(run)).toBe('passed');
    const web = await clients.apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(web.spec!.template.spec!.containers[0]!.image).toBe('registry.local/app:v2');

    await sandbox.expectAllStopped(start);
    expect(await isPortOpen(apiServerPort)).toBe(false);
    expect(existsSync(kubeconfigPath!)).toBe(false);
  }, 600_000);
});
