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

type LocalReceiver = (origin: string, event: JobEvent) => void;

/**
 * PGlite belongs to one process, so every queue instance on it shares its
 * database object: events go straight to them instead of through NOTIFY,
 * which would cost a query per event on a single-threaded database.
 */
const localReceivers = new WeakMap<SwitchyardDatabase, Set<LocalReceiver>>();

export interface DatabaseEvents {
  publish(event: JobEvent): Promise<void>;
  /** LISTENs once; later calls only wait for the first. */
  start(deliver: (event: JobEvent) => void): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Job events between queue instances that share one database: over
 * LISTEN/NOTIFY on PostgreSQL, so a subscriber in an API process hears about a
 * job that a worker process runs; in memory on PGlite. An instance delivers
 * its own events locally and skips them here.
 */
export function createDatabaseEvents(
  database: SwitchyardDatabase,
  origin: string,
  loadJob: (id: string) => Promise<JobRow | undefined>,
  reportError: (error: unknown, context: string) => void,
): DatabaseEvents {
  return database.kind === 'pglite'
    ? createLocalEvents(database, origin, reportError)
    : createNotifyEvents(database, origin, loadJob, reportError);
}

function createLocalEvents(
  database: SwitchyardDatabase,
  origin: string,
  reportError: (error: unknown, context: string) => void,
): DatabaseEvents {
  let receivers = localReceivers.get(database);
  if (!receivers) {
    receivers = new Set();
    localReceivers.set(database, receivers);
  }
  const shared = receivers;
  let receiver: LocalReceiver | undefined;
  return {
    async publish(event) {
      for (const deliver of [...shared]) {
        try {
          deliver(origin, event);
        } catch (error) {
          reportError(error, 'job event delivery failed');
        }
      }
    },
    async start(deliver) {
      if (receiver) return;
      receiver = (from, event) => {
        if (from !== origin) deliver(event);
      };
      shared.add(receiver);
    },
    async stop() {
      if (receiver) shared.delete(receiver);
      receiver = undefined;
    },
  };
}

function createNotifyEvents(
  database: SwitchyardDatabase,
  origin: string,
  loadJob: (id: string) => Promise<JobRow | undefined>,
  reportError: (error: unknown, context: string) => void,
): DatabaseEvents {
  let listening: Promise<() => Promise<void>> | undefined;
  let queue: Promise<void> = Promise.resolve();
  let receiving: Promise<void> = Promise.resolve();

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
      // One NOTIFY at a time: on a connection pool, concurrent ones could commit, and arrive, out of order.
      const sent = queue.then(() => database.notify(channel, payload));
      queue = sent.catch(() => {});
      await sent;
    },

    async start(deliver) {
      if (!listening) {
        const started = database.listen(channel, (payload) => {
          // In arrival order, also when an oversized event has to be read from its row first.
          receiving = receiving
            .then(() => receive(payload, deliver))
            .catch((error: unknown) => reportError(error, 'job event notification failed'));
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
