import { describe, expect, it } from 'vitest';
import { validateDefinition } from './validate.js';

const job = (name: string, type: string, spec: unknown) => ({ name, type, spec });
const workflow = (...stages: unknown[][]) => ({
  name: 'wf',
  project: 'p',
  stages: stages.map((jobs, i) => ({ name: `s${i}`, jobs })),
});
const issuesOf = (value: unknown) => {
  const r = validateDefinition(value);
  return r.ok ? [] : r.issues;
};

const canary = job('canary', 'k8s-canary-deploy', {
  namespace: 'prod',
  targets: [{ k8s_service_name: 'web', container_name: 'app', image: 'app:v2', canary_percentage: 20 }],
});
const gray = (name: string, scale: number, from?: string) =>
  job(name, 'k8s-gray-release', {
    namespace: 'prod',
    gray_scale: scale,
    ...(from
      ? { from_job: from }
      : { targets: [{ workload_type: 'Deployment', workload_name: 'web', container_name: 'app', image: 'app:v2' }] }),
  });

describe('deploy and release job specs', () => {
  it('accepts a canary pair and a gray chain ending at 100', () => {
    expect(issuesOf(workflow([canary], [job('release', 'k8s-canary-release', { from_job: 'canary' })]))).toEqual([]);
    expect(issuesOf(workflow([gray('g1', 10)], [gray('g2', 50, 'g1')], [gray('g3', 100, 'g1')]))).toEqual([]);
  });

  it('names each missing or wrongly typed field by path', () => {
    expect(
      issuesOf(
        workflow([
          job('deploy', 'custom-deploy', { targets: [{ target: 'Pod/web', image: 3 }] }),
          job('patch', 'k8s-resource-patch', {
            namespace: 'n',
            patch_items: [
              {
                resource_name: 'x',
                resource_kind: 'ConfigMap',
                resource_version: 'v1',
                patch_content: '{}',
                patch_strategy: 'replace',
              },
            ],
          }),
        ]),
      ),
    ).toEqual([
      { path: 'stages[0].jobs[0].spec.namespace', message: 'is required' },
      { path: 'stages[0].jobs[0].spec.targets[0].image', message: 'must be a string' },
      {
        path: 'stages[0].jobs[0].spec.targets[0].target',
        message: 'must be "<Deployment|StatefulSet|CronJob>/<workload name>/<container name>"',
      },
      {
        path: 'stages[0].jobs[1].spec.patch_items[0].patch_strategy',
        message: 'must be one of "strategic-merge", "merge", "json" (got "replace")',
      },
    ]);
  });

  it('checks percentages, weights and empty target lists', () => {
    const issues = issuesOf(
      workflow([
        job('canary', 'k8s-canary-deploy', {
          namespace: 'n',
          targets: [{ k8s_service_name: 'web', container_name: 'app', image: 'i', canary_percentage: 0 }],
        }),
        job('istio', 'istio-release', { namespace: 'n', first: true, weight: 120, targets: [] }),
        job('env', 'update-env-istio-config', {
          base_env: 'base',
          grayscale_strategy: 'weight',
          weight_configs: [
            { env: 'base', weight: 70 },
            { env: 'gray', weight: 20 },
          ],
        }),
      ]),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'stages[0].jobs[0].spec.targets[0].canary_percentage: must be between 1 and 100',
      'stages[0].jobs[1].spec.weight: must be between 0 and 100',
      'stages[0].jobs[1].spec.targets: the first Istio job needs targets',
      'stages[0].jobs[2].spec.weight_configs: weights must add up to 100 (got 90)',
    ]);
  });

  it('release jobs must name an earlier deploy job of the right type', () => {
    expect(issuesOf(workflow([job('release', 'k8s-canary-release', { from_job: 'canary' })], [canary]))).toEqual([
      { path: 'stages[0].jobs[0].spec.from_job', message: 'names "canary", which is not a job of an earlier stage' },
    ]);
    expect(issuesOf(workflow([canary], [job('bg', 'k8s-blue-green-release', { from_job: 'canary' })]))).toEqual([
      {
        path: 'stages[1].jobs[0].spec.from_job',
        message: 'names "canary", a k8s-canary-deploy job; it must be a k8s-blue-green-deploy job',
      },
    ]);
  });

  it('a gray chain ends at exactly 100, and only its last step may be 100', () => {
    expect(issuesOf(workflow([gray('g1', 10)], [gray('g2', 100, 'g1')], [gray('g3', 100, 'g1')]))).toEqual([
      { path: 'stages[1].jobs[0].spec.gray_scale', message: 'only the last gray job may be 100' },
    ]);
    expect(issuesOf(workflow([gray('g1', 10)], [gray('g2', 60, 'g1')]))).toEqual([
      { path: 'stages[1].jobs[0].spec.gray_scale', message: 'the last gray job must be 100' },
    ]);
  });
});
