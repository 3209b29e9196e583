import type * as S from '@stagecoach/spec';
import type { KubeJobContext } from '../job-context.js';
import { cleanBlueGreenRelease, runBlueGreenDeploy, runBlueGreenRelease } from './blue-green.js';
import { cleanCanaryRelease, runCanaryDeploy, runCanaryRelease } from './canary.js';
import { runCustomDeploy } from './custom-deploy.js';
import { runUpdateEnvIstioConfig } from './env-istio-config.js';
import { runGrayRelease, runGrayRollback } from './gray.js';
import { runHelmChartDeploy } from './helm.js';
import { runIstioRelease, runIstioRollback } from './istio.js';
import { runOfflineService } from './offline-service.js';
import { runRestart } from './restart.js';
import { runResourcePatch } from './resource-patch.js';

/**
 * The spec whose cluster and namespace a job acts on: a release job's own spec names only the deploy job
 * it completes (`from_job`), whose spec the workflow passes along.
 */
export function clusterSpecOf(spec: unknown, fromSpec: unknown): S.ClusterRef {
  const own = (spec ?? {}) as Partial<S.ClusterRef>;
  return (own.namespace || own.cluster_id ? own : ((fromSpec as S.ClusterRef | undefined) ?? own)) as S.ClusterRef;
}

/** Runs one deploy/release job. `fromSpec` is the rendered spec of the job its `from_job` names. */
export function runKubeJob(
  type: S.KubeJobType,
  ctx: KubeJobContext,
  spec: unknown,
  fromSpec: unknown,
): Promise<Record<string, string>> {
  switch (type) {
    case 'custom-deploy':
      return runCustomDeploy(ctx, spec as S.CustomDeploySpec);
    case 'k8s-resource-patch':
      return runResourcePatch(ctx, spec as S.K8sPatchSpec);
    case 'zadig-restart':
      return runRestart(ctx, spec as S.RestartSpec);
    case 'offline-service':
      return runOfflineService(ctx, spec as S.OfflineServiceSpec);
    case 'k8s-canary-deploy':
      return runCanaryDeploy(ctx, spec as S.CanaryDeploySpec);
    case 'k8s-canary-release':
      return runCanaryRelease(ctx, spec as S.CanaryReleaseSpec, required<S.CanaryDeploySpec>(fromSpec, type));
    case 'k8s-blue-green-deploy':
      return runBlueGreenDeploy(ctx, spec as S.BlueGreenDeploySpec);
    case 'k8s-blue-green-release':
      return runBlueGreenRelease(ctx, spec as S.BlueGreenReleaseSpec, required<S.BlueGreenDeploySpec>(fromSpec, type));
    case 'k8s-gray-release': {
      const own = spec as S.GrayReleaseSpec;
      return runGrayRelease(ctx, own, own.from_job ? required<S.GrayReleaseSpec>(fromSpec, type) : own);
    }
    case 'k8s-gray-rollback':
      return runGrayRollback(ctx, spec as S.GrayRollbackSpec);
    case 'istio-release': {
      const own = spec as S.IstioReleaseSpec;
      return runIstioRelease(ctx, own, own.first ? own : required<S.IstioReleaseSpec>(fromSpec, type));
    }
    case 'istio-rollback':
      return runIstioRollback(ctx, spec as S.IstioRollbackSpec);
    case 'update-env-istio-config':
      return runUpdateEnvIstioConfig(ctx, spec as S.UpdateEnvIstioConfigSpec);
    case 'zadig-helm-chart-deploy':
      return runHelmChartDeploy(ctx, spec as S.HelmChartDeploySpec);
  }
}

export async function cleanKubeJob(type: string, ctx: KubeJobContext, fromSpec: unknown): Promise<void> {
  if (type === 'k8s-canary-release') await cleanCanaryRelease(ctx, fromSpec as S.CanaryDeploySpec);
  if (type === 'k8s-blue-green-release') await cleanBlueGreenRelease(ctx, fromSpec as S.BlueGreenDeploySpec);
}

function required<T>(fromSpec: unknown, type: string): T {
  if (!fromSpec) throw new Error(`${type}: the job named by from_job has no spec in this run`);
  return fromSpec as T;
}
