export {
  ProcessLauncher,
  processLauncher,
  type ExitInfo,
  type LaunchedCommand,
  type LaunchRequest,
} from './launcher.js';
export {
  commandLine,
  isGroupAlive,
  isPidAlive,
  killProcessGroup,
  listProcesses,
  ownProcessGroup,
  processStat,
  signalGroup,
  type ProcessStat,
} from './process-group.js';
