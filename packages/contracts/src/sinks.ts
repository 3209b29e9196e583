import type { Sinks } from '@temporalio/workflow';
import type { RunEvent } from './events.js';

/**
 * What the run workflow hands to its worker outside the sandbox. The worker runs a sink call after the
 * activation that made it and before it reports the workflow task, and `publish` returns only once
 * JetStream has stored the events: a run's transitions are in the stream before Temporal records the
 * commands that follow them, with no local-activity round trip.
 */
export interface RunSinks extends Sinks {
  runEvents: {
    publish(events: RunEvent[]): void;
  };
}
