export { startOrder } from './fleet';
export { formatMessage, isHold } from './watch';
export * from './demo-report';
export { consoleProbeEnv, throwawayConsoleCredentials, type ConsoleCredentials } from './console-credentials';
