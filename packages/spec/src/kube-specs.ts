// Deploy and release job specs, with Zadig's field names (models/workflow_v4.go), and their checks.
import type { Checker } from './checker.js';
import { absent, isObj, join, type Obj } from './checker.js';
import type { SpecIssue } from './types.js';

export const KUBE_JOB_TYPES = [
  'custom-deploy',
  'k8s-resource-patch',
  'zadig-restart',
  'offline-service',
  'k8s-canary-deploy',
  'k8s-canary-release',
  'k8s-blue-green-deploy',
  'k8s-blue-green-release',
  'k8s-gray-release',
  'k8s-gray-rollback',
  'istio-release',
  'istio-rollback',
  'update-env-istio-config',
  'zadig-helm-chart-deploy',
] as const;
export type KubeJobType = (typeof KUBE_JOB_TYPES)[number];

export const PATCH_STRATEGIES = ['strategic-merge', 'merge', 'json'] as const;

export interface ClusterRef {
  /** a registered cluster's id; empty or "local" is the cluster Stagecoach runs in (or the current kubeconfig) */
  cluster_id?: string;
  cluster_source?: string;
  namespace: string;
}

export interface CustomDeploySpec extends ClusterRef {
  docker_registry_id?: string;
  skip_check_run_status?: boolean;
  source?: 'runtime' | 'fixed';
  /** minutes; Zadig's default deploy timeout is 10 */
  timeout?: number;
  /** `<WorkloadType>/<workload name>/<container name>` */
  targets: Array<{ target: string; image: string; image_name?: string }>;
}

export interface PatchItem {
  resource_name: string;
  resource_kind: string;
  resource_group?: string;
  resource_version: string;
  patch_content: string;
  patch_strategy: (typeof PATCH_STRATEGIES)[number];
}
export interface K8sPatchSpec extends ClusterRef {
  patch_items: PatchItem[];
}

export interface RestartSpec extends ClusterRef {
  skip_check_run_status?: boolean;
  timeout?: number;
  /** workloads of the named services (label `s-service`), as Zadig's env services */
  services?: Array<{ service_name: string }>;
  targets?: Array<{ workload_type: 'Deployment' | 'StatefulSet'; workload_name: string }>;
}

export interface OfflineServiceSpec extends ClusterRef {
  env_name?: string;
  services: string[];
}

export interface CanaryTarget {
  k8s_service_name: string;
  container_name: string;
  image: string;
  canary_percentage: number;
  /** minutes */
  deploy_timeout?: number;
  workload_name?: string;
  workload_type?: string;
}
export interface CanaryDeploySpec extends ClusterRef {
  docker_registry_id?: string;
  targets: CanaryTarget[];
}
export interface CanaryReleaseSpec {
  from_job: string;
  /** minutes */
  release_timeout?: number;
}

export interface BlueGreenTarget {
  k8s_service_name: string;
  blue_k8s_service_name?: string;
  container_name: string;
  image: string;
  workload_name?: string;
  blue_workload_name?: string;
  /** minutes */
  deploy_timeout?: number;
}
export interface BlueGreenDeploySpec extends ClusterRef {
  docker_registry_id?: string;
  targets: BlueGreenTarget[];
}
export interface BlueGreenReleaseSpec {
  from_job: string;
  release_timeout?: number;
}

export interface GrayTarget {
  workload_type: 'Deployment';
  workload_name: string;
  /** total replicas; read from the cluster when absent */
  replica?: number;
  container_name: string;
  image: string;
}
export interface GrayReleaseSpec extends ClusterRef {
  docker_registry_id?: string;
  /** empty on the first job of a chain; followers name the first job */
  from_job?: string;
  deploy_timeout?: number;
  gray_scale: number;
  targets: GrayTarget[];
}
export interface GrayRollbackSpec extends ClusterRef {
  rollback_timeout?: number;
  targets: Array<{ workload_type: 'Deployment'; workload_name: string }>;
}

export interface IstioTarget {
  workload_name: string;
  container_name: string;
  virtual_service_name?: string;
  host: string;
  image: string;
  current_replica?: number;
  target_replica?: number;
}
export interface IstioReleaseSpec extends ClusterRef {
  first: boolean;
  from_job?: string;
  registry_id?: string;
  timeout?: number;
  replica_percentage?: number;
  weight: number;
  targets: IstioTarget[];
}
export interface IstioRollbackSpec extends ClusterRef {
  timeout?: number;
  targets: Array<{ workload_name: string; container_name?: string; virtual_service_name?: string; host?: string }>;
}

export interface UpdateEnvIstioConfigSpec extends ClusterRef {
  production?: boolean;
  /** the base environment's namespace (defaults to `namespace`) */
  base_env: string;
  source?: string;
  grayscale_strategy: 'weight' | 'header_match';
  weight_configs?: Array<{ env: string; weight: number }>;
  header_match_configs?: Array<{
    env: string;
    header_match: Array<{ key: string; match: 'exact' | 'prefix' | 'regex'; value: string }>;
  }>;
  /** the Services whose traffic is split; every Service of the base env when absent */
  services?: string[];
}

export interface HelmChart {
  release_name: string;
  /** a chart repository URL (its index.yaml), or empty with chart_name a local chart path */
  chart_repo?: string;
  chart_name: string;
  chart_version?: string;
  values_yaml?: string;
  override_kvs?: Array<{ key: string; value: string }>;
}
export interface HelmChartDeploySpec extends ClusterRef {
  env?: string;
  skip_check_run_status?: boolean;
  timeout?: number;
  deploy_helm_charts: HelmChart[];
}

export const DEFAULT_DEPLOY_TIMEOUT_MINUTES = 10;

type Kind = 'string' | 'integer' | 'number' | 'boolean' | 'stringArray';
type Field = { kind: Kind; required?: boolean } | { items: Shape; required?: boolean; nonEmpty?: boolean };
type Shape = Record<string, Field>;

const str = (required = false): Field => ({ kind: 'string', required });
const int = (required = false): Field => ({ kind: 'integer', required });
const bool: Field = { kind: 'boolean' };
const list = (items: Shape, required = true): Field => ({ items, required, nonEmpty: required });

const cluster: Shape = { cluster_id: str(), cluster_source: str(), namespace: str(true) };

const SHAPES: Record<KubeJobType, Shape> = {
  'custom-deploy': {
    ...cluster,
    docker_registry_id: str(),
    skip_check_run_status: bool,
    source: str(),
    timeout: int(),
    targets: list({ target: str(true), image: str(true), image_name: str() }),
  },
  'k8s-resource-patch': {
    ...cluster,
    patch_items: list({
      resource_name: str(true),
      resource_kind: str(true),
      resource_group: str(),
      resource_version: str(true),
      patch_content: str(true),
      patch_strategy: str(true),
    }),
  },
  'zadig-restart': {
    ...cluster,
    skip_check_run_status: bool,
    timeout: int(),
    services: list({ service_name: str(true) }, false),
    targets: list({ workload_type: str(true), workload_name: str(true) }, false),
  },
  'offline-service': { ...cluster, env_name: str(), services: { kind: 'stringArray', required: true } },
  'k8s-canary-deploy': {
    ...cluster,
    docker_registry_id: str(),
    targets: list({
      k8s_service_name: str(true),
      container_name: str(true),
      image: str(true),
      canary_percentage: int(true),
      deploy_timeout: int(),
      workload_name: str(),
      workload_type: str(),
    }),
  },
  'k8s-canary-release': { from_job: str(true), release_timeout: int() },
  'k8s-blue-green-deploy': {
    ...cluster,
    docker_registry_id: str(),
    targets: list({
      k8s_service_name: str(true),
      blue_k8s_service_name: str(),
      container_name: str(true),
      image: str(true),
      workload_name: str(),
      blue_workload_name: str(),
      deploy_timeout: int(),
    }),
  },
  'k8s-blue-green-release': { from_job: str(true), release_timeout: int() },
  'k8s-gray-release': {
    ...cluster,
    docker_registry_id: str(),
    from_job: str(),
    deploy_timeout: int(),
    gray_scale: int(true),
    targets: list(
      {
        workload_type: str(true),
        workload_name: str(true),
        replica: int(),
        container_name: str(true),
        image: str(true),
      },
      false,
    ),
  },
  'k8s-gray-rollback': {
    ...cluster,
    rollback_timeout: int(),
    targets: list({ workload_type: str(true), workload_name: str(true) }),
  },
  'istio-release': {
    ...cluster,
    first: bool,
    from_job: str(),
    registry_id: str(),
    timeout: int(),
    replica_percentage: int(),
    weight: int(true),
    targets: list(
      {
        workload_name: str(true),
        container_name: str(true),
        virtual_service_name: str(),
        host: str(true),
        image: str(true),
        current_replica: int(),
        target_replica: int(),
      },
      false,
    ),
  },
  'istio-rollback': {
    ...cluster,
    timeout: int(),
    targets: list({ workload_name: str(true), container_name: str(), virtual_service_name: str(), host: str() }),
  },
  'update-env-istio-config': {
    ...cluster,
    namespace: str(),
    production: bool,
    base_env: str(true),
    source: str(),
    grayscale_strategy: str(true),
    weight_configs: list({ env: str(true), weight: int(true) }, false),
    header_match_configs: list(
      { env: str(true), header_match: list({ key: str(true), match: str(true), value: str(true) }) },
      false,
    ),
    services: { kind: 'stringArray' },
  },
  'zadig-helm-chart-deploy': {
    ...cluster,
    env: str(),
    skip_check_run_status: bool,
    timeout: int(),
    deploy_helm_charts: list({
      release_name: str(true),
      chart_repo: str(),
      chart_name: str(true),
      chart_version: str(),
      values_yaml: str(),
      override_kvs: list({ key: str(true), value: str() }, false),
    }),
  },
};

function checkShape(c: Checker, obj: Obj, path: string, shape: Shape): void {
  for (const [key, field] of Object.entries(shape)) {
    if ('items' in field) {
      const arr = c.array(obj, key, path, field.required);
      if (arr && field.nonEmpty && arr.length === 0) c.add(join(path, key), 'needs at least one entry');
      arr?.forEach((item, i) => {
        const p = `${join(path, key)}[${i}]`;
        if (isObj(item)) checkShape(c, item, p, field.items);
        else c.add(p, 'must be an object');
      });
      continue;
    }
    if (field.required && absent(obj[key])) {
      c.add(join(path, key), 'is required');
      continue;
    }
    if (field.kind === 'string') c.string(obj, key, path, field.required);
    else if (field.kind === 'integer') c.integer(obj, key, path);
    else if (field.kind === 'number') c.number(obj, key, path);
    else if (field.kind === 'boolean') c.boolean(obj, key, path);
    else c.stringArray(obj, key, path);
  }
}

const TARGET_RE = /^(Deployment|StatefulSet|CronJob)\/[^/]+\/[^/]+$/;
const percent = (c: Checker, value: unknown, path: string, min: number) => {
  if (typeof value === 'number' && (value < min || value > 100)) c.add(path, `must be between ${min} and 100`);
};

/** Field checks of one deploy/release job spec, then the rules a field table cannot say. */
export function checkKubeSpec(type: KubeJobType, c: Checker, spec: Obj, path: string): Obj {
  checkShape(c, spec, path, SHAPES[type]);
  const targets = Array.isArray(spec['targets']) ? spec['targets'].filter(isObj) : [];
  const item = (i: number) => `${join(path, 'targets')}[${i}]`;
  const at = (i: number, key: string) => join(item(i), key);
  switch (type) {
    case 'custom-deploy':
      targets.forEach((t, i) => {
        if (typeof t['target'] === 'string' && !TARGET_RE.test(t['target'])) {
          c.add(at(i, 'target'), 'must be "<Deployment|StatefulSet|CronJob>/<workload name>/<container name>"');
        }
      });
      break;
    case 'k8s-resource-patch':
      (Array.isArray(spec['patch_items']) ? spec['patch_items'] : []).filter(isObj).forEach((item, i) => {
        c.oneOf(item, 'patch_strategy', `${join(path, 'patch_items')}[${i}]`, PATCH_STRATEGIES);
      });
      break;
    case 'zadig-restart':
      targets.forEach((t, i) => c.oneOf(t, 'workload_type', item(i), ['Deployment', 'StatefulSet']));
      if (targets.length === 0 && !(Array.isArray(spec['services']) && spec['services'].length > 0)) {
        c.add(path, 'needs services or targets to restart');
      }
      break;
    case 'k8s-canary-deploy':
      targets.forEach((t, i) => percent(c, t['canary_percentage'], at(i, 'canary_percentage'), 1));
      break;
    case 'k8s-gray-release':
      percent(c, spec['gray_scale'], join(path, 'gray_scale'), 1);
      if (!spec['from_job'] && targets.length === 0) c.add(join(path, 'targets'), 'the first gray job needs targets');
      targets.forEach((t, i) => c.oneOf(t, 'workload_type', item(i), ['Deployment']));
      break;
    case 'k8s-gray-rollback':
      targets.forEach((t, i) => c.oneOf(t, 'workload_type', item(i), ['Deployment']));
      break;
    case 'istio-release':
      percent(c, spec['weight'], join(path, 'weight'), 0);
      if (spec['first'] === true && targets.length === 0)
        c.add(join(path, 'targets'), 'the first Istio job needs targets');
      if (spec['first'] !== true && !spec['from_job']) c.add(join(path, 'from_job'), 'is required when first is false');
      break;
    case 'update-env-istio-config': {
      const strategy = c.oneOf(spec, 'grayscale_strategy', path, ['weight', 'header_match']);
      const weights = Array.isArray(spec['weight_configs']) ? spec['weight_configs'].filter(isObj) : [];
      if (strategy === 'weight') {
        if (weights.length === 0) c.add(join(path, 'weight_configs'), 'needs at least one entry');
        const sum = weights.reduce((s, w) => s + (typeof w['weight'] === 'number' ? w['weight'] : 0), 0);
        if (weights.length > 0 && sum !== 100)
          c.add(join(path, 'weight_configs'), `weights must add up to 100 (got ${sum})`);
      }
      if (
        strategy === 'header_match' &&
        !(Array.isArray(spec['header_match_configs']) && spec['header_match_configs'].length > 0)
      ) {
        c.add(join(path, 'header_match_configs'), 'needs at least one entry');
      }
      break;
    }
    default:
      break;
  }
  return { ...spec };
}

interface JobRef {
  name: string;
  type: string;
  spec: Obj;
  path: string;
}

/**
 * Release jobs name the deploy job they complete (`from_job`): it must exist, be of the right type and run
 * in an earlier stage. Gray chains end at 100 % and only the last step may be 100 % (Zadig's rule).
 */
export function checkKubeReferences(stages: JobRef[][]): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const seen = new Map<string, { job: JobRef; stage: number }>();
  const grayChains = new Map<string, JobRef[]>();
  const expected: Record<string, string> = {
    'k8s-canary-release': 'k8s-canary-deploy',
    'k8s-blue-green-release': 'k8s-blue-green-deploy',
    'k8s-gray-release': 'k8s-gray-release',
    'istio-release': 'istio-release',
  };
  stages.forEach((jobs, si) => {
    for (const job of jobs) {
      const from = job.spec['from_job'];
      const want = expected[job.type];
      if (want && typeof from === 'string' && from !== '') {
        const ref = seen.get(from);
        const p = `${job.path}.spec.from_job`;
        if (!ref) issues.push({ path: p, message: `names "${from}", which is not a job of an earlier stage` });
        else if (ref.job.type !== want) {
          issues.push({ path: p, message: `names "${from}", a ${ref.job.type} job; it must be a ${want} job` });
        } else if (job.type === 'k8s-gray-release') grayChains.get(from)?.push(job);
      }
      if (job.type === 'k8s-gray-release' && !from) grayChains.set(job.name, [job]);
    }
    for (const job of jobs) seen.set(job.name, { job, stage: si });
  });
  for (const chain of grayChains.values()) {
    const followers = chain.slice(1);
    if (followers.length === 0) continue;
    followers.forEach((job, i) => {
      const scale = job.spec['gray_scale'];
      const last = i === followers.length - 1;
      if (last && scale !== 100)
        issues.push({ path: `${job.path}.spec.gray_scale`, message: 'the last gray job must be 100' });
      if (!last && scale === 100) {
        issues.push({ path: `${job.path}.spec.gray_scale`, message: 'only the last gray job may be 100' });
      }
    });
  }
  return issues;
}
