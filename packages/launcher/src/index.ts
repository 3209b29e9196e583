export {
  ProcessLauncher,
  processLauncher,
  type ExitInfo,
  type LaunchedCommand,
  type LaunchRequest,
} from './launcher.js';
export { isGroupAlive, isPidAlive, killProcessGroup, ownProcessGroup, signalGroup } from './process-group.js';
