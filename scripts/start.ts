// `npm start`: the whole local stack with embedded defaults. PostgreSQL (DATABASE_URL or the local
// server, installed and started if absent), a Temporal dev server whose data lives in
// $STAGECOACH_STATE_DIR/temporal.db (.stagecoach/ by default), NATS with JetStream, migrations, then
// gateway, trigger, worker and notifier.
// Seeds a demo project and workflow and prints where everything is. Ctrl-C stops what it started.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { migrateDatabase } from '@stagecoach/db';
import { loadConfig, port, str } from '@stagecoach/platform';
import {
  ensurePostgres,
  isPortOpen,
  readEnvFile,
  startManaged,
  startLocalCluster,
  startNats,
  startTemporal,
  waitUntilListening,
  type LocalCluster,
  type Managed,
} from '@stagecoach/stack';

const root = resolve(import.meta.dirname, '..');

/** .env.example holds the development defaults; .env and the real environment override them. */
function loadEnv(): Record<string, string> {
  const fromFile = (name: string) => (existsSync(join(root, name)) ? readEnvFile(join(root, name)) : {});
  const defined = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return { ...fromFile('.env.example'), ...fromFile('.env'), ...defined };
}

const hostPort = (address: string) => {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port) };
};

const env = loadEnv();
const started: Managed[] = [];
let localCluster: LocalCluster | undefined;
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping ...');
    // Services first, then the servers they use.
    for (const proc of [...started].reverse()) await proc.stop();
    await localCluster?.stop();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  // Read (and refused) before anything is installed or started.
  const settings = loadConfig(
    {
      stateDir: str(
        'STAGECOACH_STATE_DIR',
        "the Temporal dev server's data and the NATS store of a start that runs its own servers",
        '.stagecoach',
      ),
      temporalUiPort: port('TEMPORAL_UI_PORT', 'Temporal Web UI port', 8233),
    },
    env,
  );
  const stateDir = resolve(root, settings.stateDir);
  await ensurePostgres(env.DATABASE_URL!);
  await migrateDatabase(env.DATABASE_URL!);

  const temporal = hostPort(env.TEMPORAL_ADDRESS!);
  let temporalUi = `http://127.0.0.1:${settings.temporalUiPort}`;
  if (await isPortOpen(temporal.port, temporal.host)) {
    console.log(`using the Temporal server already at ${env.TEMPORAL_ADDRESS}`);
  } else {
    const server = await startTemporal({
      dbFile: join(stateDir, 'temporal.db'),
      port: temporal.port,
      uiPort: settings.temporalUiPort,
    });
    started.push(server.process);
    temporalUi = server.uiUrl;
  }

  const nats = hostPort(env.NATS_URL!);
  if (await isPortOpen(nats.port, nats.host)) {
    console.log(`using the NATS server already at ${env.NATS_URL}`);
  } else {
    started.push((await startNats({ storeDir: join(stateDir, 'nats'), port: nats.port })).process);
  }

  let kubeconfig = '';
  if (env.STAGECOACH_LOCAL_K8S === '1') {
    // A local control plane (built from Go modules once) becomes the "local" cluster of every job.
    const cluster = await startLocalCluster();
    localCluster = cluster;
    env.KUBECONFIG = cluster.kubeconfigPath;
    env.STAGECOACH_HELM_BIN = cluster.binaries.helm;
    kubeconfig = cluster.kubeconfigPath;
  }

  for (const service of ['worker', 'gateway', 'trigger', 'notifier']) {
    const proc = startManaged(
      service,
      process.execPath,
      ['--import', 'tsx', join(root, 'services', service, 'src', 'main.ts')],
      {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    started.push(proc);
  }
  const gatewayUrl = `http://${env.GATEWAY_HOST}:${env.GATEWAY_PORT}`;
  const gateway = started.find((p) => p.name === 'gateway')!;
  // The gateway's own socket, not just any listener: a port held by something else must not pass for it.
  await waitUntilListening(gateway, 'gateway', Number(env.GATEWAY_PORT), 60_000);
  await seedDemo(gatewayUrl);

  console.log(`
Stagecoach is running.
  API            ${gatewayUrl}/api/v1
  API docs       ${gatewayUrl}/docs
  gRPC           ${env.GATEWAY_HOST}:${env.GATEWAY_GRPC_PORT ?? '8083'} (h2c; proto/stagecoach/v1)
  Webhooks       ${env.STAGECOACH_HOOKS_URL}/hooks/{github,gitlab,gitee,jira,meego,general}
  Temporal UI    ${temporalUi}${kubeconfig ? `\n  Kubernetes     KUBECONFIG=${kubeconfig}` : ''}
  admin token    ${env.STAGECOACH_ADMIN_TOKEN === 'dev-admin-token' ? 'dev-admin-token (development default)' : '(from STAGECOACH_ADMIN_TOKEN)'}
Try:  curl -X POST -H 'Authorization: Bearer ${env.STAGECOACH_ADMIN_TOKEN === 'dev-admin-token' ? 'dev-admin-token' : '$STAGECOACH_ADMIN_TOKEN'}' -H 'X-User: you' \\
        -H 'Content-Type: application/json' -d '{}' ${gatewayUrl}/api/v1/projects/demo/workflows/hello/runs
Ctrl-C stops everything.`);
  await new Promise<never>(() => {
    for (const proc of started) proc.child.on('exit', () => void (stopping ? undefined : stopAll(1)));
  });
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  await stopAll(1);
}

/** The demo project and workflow; seeding twice changes nothing. */
async function seedDemo(gatewayUrl: string): Promise<void> {
  const headers = { authorization: `Bearer ${env.STAGECOACH_ADMIN_TOKEN}`, 'x-user': 'admin' };
  const project = await fetch(`${gatewayUrl}/api/v1/projects`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'demo', display_name: 'Demo' }),
  });
  if (!project.ok && project.status !== 409)
    throw new Error(`seeding the demo project failed: ${project.status} ${await project.text()}`);
  const existing = await fetch(`${gatewayUrl}/api/v1/projects/demo/workflows/hello`, { headers });
  if (existing.ok) return;
  const workflow = await fetch(`${gatewayUrl}/api/v1/projects/demo/workflows/hello`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/yaml' },
    body: readFileSync(join(root, 'scripts', 'demo', 'hello.yaml'), 'utf8'),
  });
  if (!workflow.ok) throw new Error(`seeding the demo workflow failed: ${workflow.status} ${await workflow.text()}`);
}
