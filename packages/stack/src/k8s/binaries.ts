import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, goBinary } from '../binaries.js';
import { publishStaging, stagingFolder } from '../build-folder.js';

/** One Kubernetes release for the whole test control plane; the wrapper module pins the same one. */
export const KUBERNETES_VERSION = 'v1.33.13';
export const KWOK_VERSION = 'v0.7.0';
export const HELM_VERSION = 'v3.18.6';
/** The Istio API module carries the upstream CRD file; we take VirtualService and DestinationRule from it. */
export const ISTIO_API_VERSION = 'v1.26.0';

const TESTBED_DIR = fileURLToPath(new URL('../../../../scripts/k8s-testbed/', import.meta.url));

export interface K8sBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
  helm: string;
  /** kwok's node and pod stages (plain kwok has no behaviour without them) */
  kwokStages: string;
  /** kwok's chaos stage that fails pods carrying its label (negative rollout tests) */
  kwokChaosStages: string;
  /** Istio's VirtualService and DestinationRule CRDs, upstream YAML */
  istioCrds: string;
}

/**
 * The folder the binaries of this testbed revision live in: keyed by the committed go.mod/go.sum of the
 * wrapper modules and the pinned versions, so a change to any of them builds afresh and nothing else does.
 */
export function k8sBinDir(): string {
  const hash = createHash('sha256');
  for (const file of ['kubernetes/go.mod', 'kubernetes/go.sum', 'etcd/go.mod', 'etcd/go.sum']) {
    hash.update(readFileSync(join(TESTBED_DIR, file)));
  }
  hash.update([KWOK_VERSION, HELM_VERSION, ISTIO_API_VERSION, platform(), arch()].join('\n'));
  return join(cacheDir(), 'k8s-bin', hash.digest('hex').slice(0, 16));
}

function paths(dir: string): K8sBinaries {
  return {
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
    kubectl: join(dir, 'kubectl'),
    kwok: join(dir, 'kwok'),
    helm: join(dir, 'helm'),
    kwokStages: join(dir, 'kwok-stages.yaml'),
    kwokChaosStages: join(dir, 'kwok-chaos-stages.yaml'),
    istioCrds: join(dir, 'istio-crds.yaml'),
  };
}

/** Present when a complete build of this revision is cached. */
export function cachedK8sBinaries(): K8sBinaries | undefined {
  const dir = k8sBinDir();
  return isCompleteBuild(dir) ? paths(dir) : undefined;
}

/** A build writes COMPLETE last, so a folder without it is half-built. */
const isCompleteBuild = (dir: string) => existsSync(join(dir, 'COMPLETE'));

/**
 * Builds etcd, the control plane, kubectl, kwok and helm from Go modules (once per revision; later calls
 * return the cache). Everything comes through the Go module proxy: no binary is downloaded.
 */
export function k8sBinaries(log: (line: string) => void = console.error): K8sBinaries {
  const cached = cachedK8sBinaries();
  if (cached) return cached;
  const dir = k8sBinDir();
  const staging = stagingFolder(dir);
  const go = goBinary();
  const env = {
    ...process.env,
    CGO_ENABLED: '0',
    GOFLAGS: '-modcacherw',
    // A clear error instead of a silent toolchain download.
    GOTOOLCHAIN: 'local',
  };
  const run = (what: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}) => {
    const started = Date.now();
    log(`k8s testbed: building ${what} (once; cached in ${dir}) ...`);
    const result = spawnSync(go, args, {
      cwd,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'inherit', 'pipe'],
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`building ${what} failed: ${(result.stderr ?? '').trim().split('\n').slice(-5).join(' / ')}`);
    }
    log(`k8s testbed: ${what} built in ${Math.round((Date.now() - started) / 1000)} s`);
  };

  run(
    `kube-apiserver, kube-controller-manager, kube-scheduler, kubectl ${KUBERNETES_VERSION}`,
    [
      'build',
      '-trimpath',
      '-tags',
      'selinux,notest',
      '-ldflags',
      versionLdflags(KUBERNETES_VERSION),
      '-o',
      `${staging}/`,
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
      'k8s.io/kubernetes/cmd/kube-scheduler',
      'k8s.io/kubernetes/cmd/kubectl',
    ],
    join(TESTBED_DIR, 'kubernetes'),
  );
  run(
    'etcd',
    ['build', '-trimpath', '-o', join(staging, 'etcd'), 'go.etcd.io/etcd/server/v3'],
    join(TESTBED_DIR, 'etcd'),
  );
  run(`kwok ${KWOK_VERSION}`, ['install', `sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`], TESTBED_DIR, {
    GOBIN: staging,
  });
  run(`helm ${HELM_VERSION}`, ['install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], TESTBED_DIR, { GOBIN: staging });

  const kwokDir = moduleDir(go, env, `sigs.k8s.io/kwok@${KWOK_VERSION}`);
  const stage = (file: string) => readFileSync(join(kwokDir, 'kustomize', 'stage', file), 'utf8');
  writeFileSync(
    join(staging, 'kwok-stages.yaml'),
    [
      'node/fast/node-initialize.yaml',
      'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
      'pod/fast/pod-ready.yaml',
      'pod/fast/pod-complete.yaml',
      'pod/fast/pod-delete.yaml',
    ]
      .map(stage)
      .join('\n---\n'),
  );
  writeFileSync(join(staging, 'kwok-chaos-stages.yaml'), stage('pod/chaos/pod-container-running-failed.yaml'));
  copyFileSync(
    join(moduleDir(go, env, `istio.io/api@${ISTIO_API_VERSION}`), 'kubernetes', 'customresourcedefinitions.gen.yaml'),
    join(staging, 'istio-crds.yaml'),
  );
  writeFileSync(join(staging, 'COMPLETE'), `${new Date().toISOString()}\n`);
  publishStaging(staging, dir, isCompleteBuild);
  return paths(dir);
}

/** Without these the binaries say v0.0.0-master, and helm's kubeVersion checks and kwok's flag sniffing fail. */
function versionLdflags(version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${pkg}.gitVersion=${version}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
    );
  }
  return flags.join(' ');
}

function moduleDir(go: string, env: NodeJS.ProcessEnv, moduleAtVersion: string): string {
  const result = spawnSync(go, ['mod', 'download', '-json', moduleAtVersion], {
    env,
    encoding: 'utf8',
    cwd: TESTBED_DIR,
  });
  const info = JSON.parse(result.stdout || '{}') as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`could not fetch ${moduleAtVersion}: ${info.Error ?? result.stderr}`);
  return info.Dir;
}
