// `npm run k8s:testbed`: builds the local Kubernetes control plane (once; cached by the committed go.sum
// files) and, with `--start`, runs it until Ctrl-C, printing the kubeconfig to use.
import { k8sBinaries, startLocalCluster } from '@stagecoach/stack';

const started = Date.now();
const bin = k8sBinaries();
console.log(`binaries ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(bin, null, 2)}`);
if (process.argv.includes('--start')) {
  const t0 = Date.now();
  const cluster = await startLocalCluster();
  console.log(`control plane ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`KUBECONFIG=${cluster.kubeconfigPath}`);
  const stop = () => void cluster.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
