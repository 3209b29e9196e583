import { startLocalCluster } from '@stagecoach/stack';
import temporalSetup from './global-setup-temporal.js';

/**
 * Servers for the k8s project: everything the temporal project has, plus a real control plane (etcd,
 * kube-apiserver, controller-manager, scheduler, kwok nodes). KUBECONFIG points at it, so it is the
 * "local" cluster of every worker the tests start; helm and kubectl are the testbed's own builds.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const stopTemporal = await temporalSetup();
  const cluster = await startLocalCluster({ nodes: 2 });
  Object.assign(process.env, {
    KUBECONFIG: cluster.kubeconfigPath,
    STAGECOACH_HELM_BIN: cluster.binaries.helm,
    STAGECOACH_TEST_KUBECTL: cluster.binaries.kubectl,
  });
  return async () => {
    await cluster.stop();
    await stopTemporal();
  };
}
