import type { JobRow, SwitchyardDatabase } from '@switchyard/db';
import type { JobEvent, JsonValue } from '../job-queue';

const channel = 'switchyard_jobs';
/** PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more. */
const maximumPayloadBytes = 7_000;

type Message =
  | { origin: string; event: SerializedEvent }
  /** Too big to send: receivers read the progress or result from the row. */
  | { origin: string; reference: { type: 'progress' | 'completed'; jobId: string; name: string; attempt: number } };

type SerializedEvent = Omit<Extract<JobEvent, { type: 'failed' }>, 'retryAt'> & { retryAt: string | null };

export interface DatabaseEvents {
  publish(event: JobEvent): Promise<void>;
  /** LISTENs once; later calls only wait for the first. */
  start(deliver: (event: JobEvent) => void): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Job events between processes that share one PostgreSQL database, over
 * LISTEN/NOTIFY, so a subscriber in an API process hears about a job that a
 * worker process runs. Events from the own process are delivered locally and
 * skipped here.
 */
export function createDatabaseEvents(
  database: SwitchyardDatabase,
  origin: string,
  loadJob: (id: string) => Promise<JobRow | undefined>,
  reportError: (error: unknown, context: string) => void,
): DatabaseEvents {
  let listening: Promise<() => Promise<void>> | undefined;

  async function receive(payload: string, deliver: (event: JobEvent) => void): Promise<void> {
    const message = JSON.parse(payload) as Message;
    if (message.origin === origin) return;
    if ('event' in message) {
      const event = message.event as unknown as JobEvent;
      deliver(
        event.type === 'failed'
          ? { ...event, retryAt: message.event.retryAt === null ? null : new Date(message.event.retryAt) }
          : event,
      );
      return;
    }
    const { reference } = message;
    const row = await loadJob(reference.jobId);
    if (!row) return;
    deliver(
      reference.type === 'progress'
        ? { type: 'progress', jobId: row.id, name: row.name, data: (row.progress ?? null) as JsonValue }
        : {
            type: 'completed',
            jobId: row.id,
            name: row.name,
            attempt: reference.attempt,
            result: (row.result ?? null) as JsonValue,
          },
    );
  }

  return {
    async publish(event) {
      const serialized =
        event.type === 'failed'
          ? {
              ...event,
              error: { ...event.error, message: event.error.message.slice(0, 2_000) },
              retryAt: event.retryAt?.toISOString() ?? null,
            }
          : event;
      let payload = JSON.stringify({ origin, event: serialized });
      if (Buffer.byteLength(payload) > maximumPayloadBytes && event.type !== 'failed') {
        const attempt = event.type === 'completed' ? event.attempt : 0;
        payload = JSON.stringify({
          origin,
          reference: { type: event.type, jobId: event.jobId, name: event.name, attempt },
        } satisfies Message);
      }
      await database.notify(channel, payload);
    },

    async start(deliver) {
      if (!listening) {
        const started = database.listen(channel, (payload) => {
          receive(payload, deliver).catch((error: unknown) => reportError(error, 'job event notification failed'));
        });
        listening = started;
        // A failed LISTEN is tried again by the next subscriber instead of failing every later one.
        started.catch(() => {
          if (listening === started) listening = undefined;
        });
      }
      await listening;
    },

    async stop() {
      const current = listening;
      listening = undefined;
      const unlisten = await current?.catch(() => undefined);
      if (unlisten) await unlisten();
    },
  };
}
