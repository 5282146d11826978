import pg from 'pg';
import { assertChannelName } from './channel-name';

export type NotificationHandler = (payload: string) => void;

export interface ListenOptions {
  /**
   * Called after a dropped connection was re-established and LISTEN re-issued.
   * Notifications sent while disconnected are lost, so a cache should reload here.
   */
  onReconnect?: () => void;
}

export type DatabaseErrorReporter = (error: unknown, context: string) => void;

interface Subscription {
  handler: NotificationHandler;
  onReconnect: (() => void) | undefined;
}

export interface PostgresListener {
  listen(channel: string, handler: NotificationHandler, options?: ListenOptions): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const initialBackOffMs = 100;
const maximumBackOffMs = 10_000;

export { assertChannelName };

/**
 * One dedicated connection for LISTEN, kept outside the pool because a pooled
 * connection is handed to other queries and loses its LISTENs when recycled.
 * A dropped connection is re-opened with exponential back-off and every
 * channel is listened to again; errors are reported, never thrown at the process.
 */
export function createPostgresListener(url: string, reportError: DatabaseErrorReporter): PostgresListener {
  const subscriptions = new Map<string, Set<Subscription>>();
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let failedAttempts = 0;
  let closed = false;

  const dispatch = (message: pg.Notification) => {
    const channelSubscriptions = subscriptions.get(message.channel);
    if (!channelSubscriptions) return;
    for (const subscription of [...channelSubscriptions]) {
      try {
        subscription.handler(message.payload ?? '');
      } catch (error) {
        reportError(error, `notification handler for channel '${message.channel}' threw`);
      }
    }
  };

  const connect = async (): Promise<pg.Client> => {
    const candidate = new pg.Client({
      connectionString: url,
      application_name: 'switchyard-listener',
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    candidate.on('notification', dispatch);
    // Attached before connect so an early failure cannot surface as an unhandled 'error' event.
    candidate.on('error', (error) => handleDisconnect(candidate, error));
    candidate.on('end', () => handleDisconnect(candidate, new Error('listener connection ended')));
    try {
      await candidate.connect();
      for (const channel of subscriptions.keys()) await candidate.query(`LISTEN ${channel}`);
    } catch (error) {
      candidate.removeAllListeners('end');
      await candidate.end().catch(() => {});
      throw error;
    }
    if (closed) {
      await candidate.end().catch(() => {});
      throw new Error('database closed');
    }
    client = candidate;
    return candidate;
  };

  const ensureConnected = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client);
    connecting ??= connect().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const scheduleReconnect = () => {
    if (closed || reconnectTimer || subscriptions.size === 0) return;
    const delay = Math.min(maximumBackOffMs, initialBackOffMs * 2 ** failedAttempts);
    // Jitter keeps many processes from reconnecting to a restarted server in lock-step.
    const jittered = delay / 2 + Math.random() * (delay / 2);
    failedAttempts += 1;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      ensureConnected().then(
        () => {
          failedAttempts = 0;
          for (const channelSubscriptions of subscriptions.values()) {
            for (const subscription of channelSubscriptions) {
              try {
                subscription.onReconnect?.();
              } catch (error) {
                reportError(error, 'notification reconnect callback threw');
              }
            }
          }
        },
        (error: unknown) => {
          reportError(error, 'reconnecting the notification listener failed');
          scheduleReconnect();
        },
      );
    }, jittered);
    reconnectTimer.unref();
  };

  function handleDisconnect(source: pg.Client, error: Error) {
    if (source !== client) return;
    client = undefined;
    source.removeAllListeners('end');
    source.end().catch(() => {});
    if (closed) return;
    reportError(error, 'notification listener connection lost');
    scheduleReconnect();
  }

  const unlisten = async (channel: string, subscription: Subscription) => {
    const channelSubscriptions = subscriptions.get(channel);
    if (!channelSubscriptions?.delete(subscription) || channelSubscriptions.size > 0) return;
    subscriptions.delete(channel);
    // Without a connection there is nothing to undo; the next connect skips this channel.
    await client?.query(`UNLISTEN ${channel}`).catch((error: unknown) => reportError(error, `UNLISTEN ${channel}`));
  };

  return {
    async listen(channel, handler, options = {}) {
      assertChannelName(channel);
      if (closed) throw new Error('database closed');
      const subscription: Subscription = { handler, onReconnect: options.onReconnect };
      let channelSubscriptions = subscriptions.get(channel);
      const isNewChannel = !channelSubscriptions;
      if (!channelSubscriptions) {
        channelSubscriptions = new Set();
        subscriptions.set(channel, channelSubscriptions);
      }
      channelSubscriptions.add(subscription);
      // While a reconnect is pending, the reconnect issues LISTEN for every channel.
      if (isNewChannel && !reconnectTimer) {
        try {
          const connected = await ensureConnected();
          await connected.query(`LISTEN ${channel}`);
        } catch (error) {
          await unlisten(channel, subscription);
          throw error;
        }
      }
      return () => unlisten(channel, subscription);
    },

    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      subscriptions.clear();
      const current = client ?? (await connecting?.catch(() => undefined));
      client = undefined;
      if (current) {
        current.removeAllListeners('end');
        await current.end().catch(() => {});
      }
    },
  };
}
