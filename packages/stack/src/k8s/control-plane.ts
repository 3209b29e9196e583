import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { freePort, startManaged, waitFor, waitUntilListening, type Managed } from '../processes.js';
import { k8sBinaries, type K8sBinaries } from './binaries.js';
import { kubeConfigFor, prepareCluster } from './prepare.js';

export interface LocalCluster {
  /** https://127.0.0.1:<port> */
  server: string;
  /** bearer token of a `system:masters` user */
  token: string;
  /** PEM bundle that verifies the API server's serving certificate */
  caPem: string;
  kubeconfigPath: string;
  binaries: K8sBinaries;
  /** the folder holding etcd's data, certificates and each component's log */
  dir: string;
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  /** fake kwok nodes to register (each 32 CPUs, 256 GiB, 110 pods) */
  nodes?: number;
  /** also fail pods labelled `pod-container-running-failed.stage.kwok.x-k8s.io=true` (negative tests) */
  chaos?: boolean;
  log?: (line: string) => void;
}

/**
 * A real control plane on loopback: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok,
 * whose fake nodes run pods to Ready so Deployments complete their rollouts. Istio's VirtualService and
 * DestinationRule CRDs are installed. Data lives on tmpfs when there is one.
 */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const bin = k8sBinaries(log);
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'stagecoach-k8s-'));
  const started: Managed[] = [];
  const logTo = (name: string) => {
    const fd = openSync(join(dir, `${name}.log`), 'a');
    return { stdio: ['ignore', fd, fd] as ['ignore', number, number] };
  };
  let stopping = false;
  /** A component that dies on its own says why: the tail of its log goes to stderr. */
  const watchExit = (proc: Managed) => {
    proc.child.once('exit', (code, signal) => {
      if (stopping) return;
      const tail = readFileSync(join(dir, `${proc.name}.log`), 'utf8')
        .trim()
        .split('\n')
        .slice(-15)
        .join('\n');
      log(`[${proc.name}] exited (${code ?? signal}) while the cluster was in use:\n${tail}`);
    });
    started.push(proc);
  };
  const stop = async () => {
    stopping = true;
    for (const proc of started.reverse()) await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedulerPort, kwokPort] = (await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    )) as [number, number, number, number, number, number];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = startManaged(
      'etcd',
      bin.etcd,
      [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      logTo('etcd'),
    );
    watchExit(etcd);
    await waitUntilListening(etcd, 'etcd', etcdPort, 30_000);

    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},stagecoach-admin,stagecoach-admin,"system:masters"\n`, {
      mode: 0o600,
    });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    const certDir = join(dir, 'pki');
    const apiserver = startManaged(
      'kube-apiserver',
      bin.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        // No serving certificate is given: the API server generates one for localhost/127.0.0.1 here.
        `--cert-dir=${certDir}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(dir, 'sa.key')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        // Two cores: the fairness queues and profiling only cost time here.
        '--enable-priority-and-fairness=false',
        '--profiling=false',
      ],
      logTo('kube-apiserver'),
    );
    watchExit(apiserver);
    const server = `https://127.0.0.1:${apiPort}`;
    await waitFor('kube-apiserver', () => healthy(server, '/readyz', token), 120_000, apiserver.child);
    const caPem = readFileSync(join(certDir, 'apiserver.crt'), 'utf8');
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeConfigFor(server, token, caPem).exportConfig(), { mode: 0o600 });

    const componentArgs = (port: number) => [
      `--kubeconfig=${kubeconfigPath}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
    ];
    const kcm = startManaged(
      'kube-controller-manager',
      bin.kubeControllerManager,
      [
        ...componentArgs(kcmPort),
        `--service-account-private-key-file=${join(dir, 'sa.key')}`,
        `--root-ca-file=${join(certDir, 'apiserver.crt')}`,
      ],
      logTo('kube-controller-manager'),
    );
    watchExit(kcm);
    const scheduler = startManaged(
      'kube-scheduler',
      bin.kubeScheduler,
      componentArgs(schedulerPort),
      logTo('kube-scheduler'),
    );
    watchExit(scheduler);
    const kwok = startManaged(
      'kwok',
      bin.kwok,
      [
        `--kubeconfig=${kubeconfigPath}`,
        `--config=${bin.kwokStages}`,
        ...(options.chaos === false ? [] : [`--config=${bin.kwokChaosStages}`]),
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        // Node leases, renewed every 10 s: without them the node-lifecycle controller marks every node
        // (and so every pod) NotReady after its 50 s grace period, and rollouts stall.
        '--node-lease-duration-seconds=40',
        `--server-address=127.0.0.1:${kwokPort}`,
      ],
      logTo('kwok'),
    );
    watchExit(kwok);
    await waitFor(
      'kube-controller-manager',
      () => healthy(`https://127.0.0.1:${kcmPort}`, '/healthz'),
      60_000,
      kcm.child,
    );
    await waitFor(
      'kube-scheduler',
      () => healthy(`https://127.0.0.1:${schedulerPort}`, '/healthz'),
      60_000,
      scheduler.child,
    );

    await prepareCluster({ server, token, caPem, nodes: options.nodes ?? 2, istioCrds: bin.istioCrds });
    return { server, token, caPem, kubeconfigPath, binaries: bin, dir, stop };
  } catch (err) {
    const logs = dir;
    await stop().catch(() => undefined);
    throw new Error(
      `the local Kubernetes control plane did not start (logs were in ${logs}): ${(err as Error).message}`,
    );
  }
}

/** GET a health endpoint; certificates are not checked here, the kubeconfig's CA is read afterwards. */
function healthy(base: string, path: string, token?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${base}${path}`,
      {
        agent: new Agent({ rejectUnauthorized: false }),
        headers: token ? { authorization: `Bearer ${token}` } : {},
        timeout: 2_000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
