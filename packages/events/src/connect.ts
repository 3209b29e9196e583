import { connect, type ConnectionOptions, type NatsConnection } from 'nats';

/**
 * A service's connection to NATS: it reconnects for as long as the process lives (a run's events wait
 * for the server rather than fail), and requests capture no async stack trace. nats.js builds an Error
 * for every request (each JetStream publish is one) to point a later timeout at its caller; in a worker
 * publishing a run's events and job logs that was about a twentieth of its main thread's time.
 */
export function connectNats(
  servers: string,
  options: Omit<ConnectionOptions, 'servers'> = {},
): Promise<NatsConnection> {
  return connect({ servers, maxReconnectAttempts: -1, noAsyncTraces: true, ...options });
}
