import type { DeadLetter, EventEnvelope } from '@switchyard/events';

/** An envelope as the HTTP API shows it (snake_case like every other body). */
export function wireEnvelope(event: EventEnvelope) {
  return {
    id: event.id,
    name: event.name,
    version: event.version,
    environment: event.environment,
    flow_id: event.flowId,
    payload: event.payload,
    published_at: event.publishedAt,
  };
}

export function wireDeadLetter(deadLetter: DeadLetter) {
  return {
    id: deadLetter.id,
    group: deadLetter.group,
    attempts: deadLetter.attempts,
    last_error: deadLetter.lastError,
    dead_at: deadLetter.deadAt.toISOString(),
    event: wireEnvelope(deadLetter.event),
  };
}
