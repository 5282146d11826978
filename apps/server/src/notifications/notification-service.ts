import { createHash, randomUUID } from 'node:crypto';
import { type Environment, SwitchyardError } from '@switchyard/core';
import {
  createNotificationsRepository,
  type NewNotificationDelivery,
  type NotificationChannelName,
  type NotificationDeliveryMode,
  type NotificationDeliveryRow,
  type NotificationRow,
  type NotificationsRepository,
  type OutboundChannelName,
  type PreferenceChange,
} from '@switchyard/db';
import type { Logger } from 'pino';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import {
  findNotificationKind,
  type NotificationKind,
  notificationKinds,
  requireNotificationKind,
} from './notification-kinds';
import type { OutboundChannel, OutboundItem } from './outbound-channel';
import type { UnsubscribeClaim, UnsubscribeTokens } from './unsubscribe-token';

/** Every process hears here that a user's in-app notifications changed (payload: the user id). */
export const notificationChannel = 'switchyard_notifications';
const outboundChannels: readonly OutboundChannelName[] = ['email', 'whatsapp'];
const channelNames: readonly NotificationChannelName[] = ['in_app', 'email', 'whatsapp'];

export interface NotifyInput {
  environment: Environment;
  userId: string;
  /** A kind from notification-kinds.ts. */
  kind: string;
  title: string;
  body: string;
  /** A path in the web app (`/searches/abc`) or an absolute http(s) URL. */
  link?: string | null;
  data?: Record<string, unknown> | null;
  /**
   * Makes the call idempotent: the same key in the same environment is one notification, however often a
   * retrying producer (an event handler, a job) calls. Without it every call is a new notification.
   */
  key?: string;
}

export interface NotifyResult {
  notification: NotificationRow;
  deliveries: NotificationDeliveryRow[];
  /** False when the key had been used: nothing new was stored. */
  created: boolean;
}

export interface EffectivePreferences {
  kinds: Array<{
    kind: string;
    description: string;
    channels: Record<NotificationChannelName, NotificationDeliveryMode>;
  }>;
  available: NotificationChannelName[];
  whatsappNumber: string | null;
}

export interface PreferencesUpdate {
  preferences?: readonly PreferenceChange[];
  whatsappNumber?: string | null;
}

export interface NotificationRecipients {
  /** The account's email address and name; undefined for a user that does not exist. */
  find(userId: string): Promise<{ email: string; name: string } | undefined>;
}

export interface NotificationServiceDependencies {
  databases: Databases;
  recipients: NotificationRecipients;
  jobs: Pick<PlatformJobQueue, 'enqueue'>;
  channels: Readonly<Record<OutboundChannelName, OutboundChannel>>;
  tokens: UnsubscribeTokens;
  /** Where users reach the web app: absolute links in mail are built on it. */
  origin: () => string;
  logger: Logger;
  now?: () => Date;
}

export interface NotificationService {
  /** Stores the notification and fans it out to the channels the user's preferences enable for its kind. */
  notify(input: NotifyInput): Promise<NotifyResult>;
  list(
    environment: Environment,
    userId: string,
    page: { limit: number; offset: number; unreadOnly?: boolean },
  ): Promise<NotificationRow[]>;
  listAfter(environment: Environment, userId: string, afterSequence: number): Promise<NotificationRow[]>;
  lastSequence(environment: Environment, userId: string): Promise<number>;
  unread(environment: Environment, userId: string): Promise<number>;
  /** SY_ERR_NOT_FOUND for another user's (or no) notification. */
  markRead(environment: Environment, userId: string, id: string): Promise<NotificationRow>;
  markAllRead(environment: Environment, userId: string): Promise<number>;
  preferences(environment: Environment, userId: string): Promise<EffectivePreferences>;
  updatePreferences(environment: Environment, userId: string, update: PreferencesUpdate): Promise<EffectivePreferences>;
  /** SY_ERR_NOT_FOUND unless the token is one of ours for a known kind. */
  checkUnsubscribe(token: string): Promise<UnsubscribeClaim>;
  /** Turns off what a signed unsubscribe link names; SY_ERR_NOT_FOUND for a link that is not ours. */
  unsubscribe(token: string): Promise<UnsubscribeClaim>;
  /** Calls `onChange` whenever the user's in-app notifications change, in any process; returns the stop. */
  watch(environment: Environment, userId: string, onChange: () => void): Promise<() => void>;
  /** The `notification.deliver` job: sends what the batch holds and is not sent yet. */
  deliverBatch(
    environment: Environment,
    channel: OutboundChannelName,
    batchId: string,
    signal: AbortSignal,
  ): Promise<{ sent: number; skipped: number }>;
  /** The `notifications.digest` job: one batch per user and channel of what waits for the digest. */
  runDigest(environment: Environment): Promise<{ batches: number; requeued: number }>;
  /** In-app, and each outbound channel the server is set up for. */
  readonly availableChannels: readonly NotificationChannelName[];
  /** Streams following notifications in this process right now. */
  followers(): number;
  close(): Promise<void>;
}

const deliverJobId = (batchId: string) => `ndeliver_${batchId}`;

function idFromKey(environment: Environment, key: string): string {
  return `ntf_${createHash('sha256').update(`${environment}\n${key}`).digest('hex').slice(0, 32)}`;
}

/** Links in notifications: a web-app path or an absolute http(s) URL; anything else is refused. */
function checkLink(link: string | null | undefined): string | null {
  if (link === undefined || link === null || link === '') return null;
  if (link.startsWith('/') && !link.startsWith('//')) return link;
  if (/^https?:\/\/[^\s]+$/i.test(link)) return link;
  throw new SwitchyardError('SY_ERR_VALIDATION', 'A notification link must be a path (/…) or an http(s) URL');
}

/**
 * Notifications: stored per environment, listed and streamed in the app, and sent out by email and
 * WhatsApp through `notification.deliver` jobs (retries, dead letters) immediately or in the daily digest.
 */
export function createNotificationService(dependencies: NotificationServiceDependencies): NotificationService {
  const { databases, recipients, jobs, channels, tokens, logger } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  const repositories = {
    prod: createNotificationsRepository(databases.prod.db),
    dev: createNotificationsRepository(databases.dev.db),
  } satisfies Record<Environment, NotificationsRepository>;
  const availableChannels: NotificationChannelName[] = [
    'in_app',
    ...outboundChannels.filter((name) => channels[name].available),
  ];
  const channelAvailableIn = (name: OutboundChannelName, environment: Environment) =>
    channels[name].available && (channels[name].availableIn?.(environment) ?? true);
  const watchers = new Map<string, Set<() => void>>();
  const listening = new Map<Environment, Promise<() => Promise<void>>>();

  const watchKey = (environment: Environment, userId: string) => `${environment}\n${userId}`;
  const wakeAll = (environment: Environment, userId?: string) => {
    for (const [key, set] of watchers) {
      if (userId === undefined ? key.startsWith(`${environment}\n`) : key === watchKey(environment, userId)) {
        for (const watcher of [...set]) watcher();
      }
    }
  };
  const announce = (environment: Environment, userId: string) =>
    databases[environment].notify(notificationChannel, userId).catch((error: unknown) => {
      // The row is stored; a follower that missed the wake-up sees it on its next read or heartbeat.
      logger.warn({ err: error, environment }, 'announcing a notification failed');
    });

  async function effectiveModes(
    environment: Environment,
    userId: string,
  ): Promise<Map<string, Record<NotificationChannelName, NotificationDeliveryMode>>> {
    const rows = await repositories[environment].preferencesOf(userId);
    const modes = new Map<string, Record<NotificationChannelName, NotificationDeliveryMode>>();
    for (const kind of notificationKinds) modes.set(kind.name, { ...kind.defaults });
    for (const row of rows) {
      const entry = modes.get(row.kind);
      if (entry) entry[row.channel] = row.delivery;
    }
    return modes;
  }

  async function enqueueBatch(environment: Environment, channel: OutboundChannelName, batchId: string) {
    try {
      await jobs.enqueue(
        'notification.deliver',
        { environment, channel, batchId },
        {
          environment,
          jobId: deliverJobId(batchId),
        },
      );
    } catch (error) {
      logger.error({ err: error, environment, channel, batchId }, 'queueing a notification delivery failed');
      throw new SwitchyardError(
        'SY_ERR_DEPENDENCY_UNAVAILABLE',
        'The notification is stored but its delivery could not be queued; the digest job queues it later',
        { cause: error },
      );
    }
  }

  function absolute(link: string | null): string | null {
    if (link === null) return null;
    return link.startsWith('/') ? `${dependencies.origin()}${link}` : link;
  }

  function unsubscribeUrl(claim: UnsubscribeClaim): string {
    return `${dependencies.origin()}/api/notifications/unsubscribe?token=${encodeURIComponent(tokens.sign(claim))}`;
  }

  async function addressOf(
    environment: Environment,
    channel: OutboundChannelName,
    userId: string,
  ): Promise<{ to: string; name: string } | null> {
    const user = await recipients.find(userId);
    if (!user) return null;
    if (channel === 'email') return user.email ? { to: user.email, name: user.name } : null;
    const number = await repositories[environment].whatsappNumberOf(userId);
    return number ? { to: number, name: user.name } : null;
  }

  const service: NotificationService = {
    availableChannels,

    async notify(input) {
      const kind: NotificationKind = requireNotificationKind(input.kind);
      const title = input.title.trim();
      const body = input.body.trim();
      if (!title || title.length > 200) throw new SwitchyardError('SY_ERR_VALIDATION', 'title: 1 to 200 characters');
      if (!body || body.length > 10_000) throw new SwitchyardError('SY_ERR_VALIDATION', 'body: 1 to 10,000 characters');
      const link = checkLink(input.link);
      if (!(await recipients.find(input.userId))) {
        throw new SwitchyardError('SY_ERR_NOT_FOUND', `No user with id '${input.userId}'`);
      }
      const { environment, userId } = input;
      const repository = repositories[environment];
      const modes = (await effectiveModes(environment, userId)).get(kind.name) ?? { ...kind.defaults };
      const id =
        input.key === undefined ? `ntf_${randomUUID().replaceAll('-', '')}` : idFromKey(environment, input.key);
      const inserted = await repository.insert({
        id,
        userId,
        kind: kind.name,
        title,
        body,
        link,
        data: input.data ?? null,
        inApp: modes.in_app !== 'off',
      });
      const notification = inserted ?? (await repository.find(id));
      if (!notification) throw new SwitchyardError('SY_ERR_INTERNAL', 'The notification vanished after it was stored');
      if (inserted) {
        const rows: NewNotificationDelivery[] = [];
        for (const channel of outboundChannels) {
          const mode = modes[channel];
          if (mode === 'off' || !channelAvailableIn(channel, environment)) continue;
          // No number, no WhatsApp delivery: nothing is queued that could only be skipped.
          if (channel === 'whatsapp' && !(await repository.whatsappNumberOf(userId))) continue;
          const deliveryId = `ndl_${id.slice(4)}_${channel}`;
          rows.push({
            id: deliveryId,
            notificationId: id,
            userId,
            channel,
            status: mode === 'daily' ? 'digest' : 'queued',
            // An immediate delivery is a batch of one; digest rows get their batch when the digest runs.
            batchId: mode === 'daily' ? null : deliveryId,
          });
        }
        await repository.insertDeliveries(rows);
        if (notification.inApp) await announce(environment, userId);
      }
      const deliveries = await repository.deliveriesOf(id);
      // Also on a repeated key: the first call may have stored everything and failed to queue.
      for (const delivery of deliveries) {
        if (delivery.status === 'queued' && delivery.batchId) {
          await enqueueBatch(environment, delivery.channel, delivery.batchId);
        }
      }
      return { notification, deliveries, created: inserted !== undefined };
    },

    list: (environment, userId, page) => repositories[environment].listForUser(userId, page),
    listAfter: (environment, userId, afterSequence) => repositories[environment].listAfter(userId, afterSequence, 100),
    lastSequence: (environment, userId) => repositories[environment].lastSequence(userId),
    unread: (environment, userId) => repositories[environment].countUnread(userId),

    async markRead(environment, userId, id) {
      const row = await repositories[environment].markRead(userId, id, now());
      // Another user's notification looks exactly like a missing one.
      if (!row) throw new SwitchyardError('SY_ERR_NOT_FOUND', 'No such notification');
      await announce(environment, userId);
      return row;
    },

    async markAllRead(environment, userId) {
      const marked = await repositories[environment].markAllRead(userId, now());
      if (marked > 0) await announce(environment, userId);
      return marked;
    },

    async preferences(environment, userId) {
      const modes = await effectiveModes(environment, userId);
      return {
        kinds: notificationKinds.map((kind) => ({
          kind: kind.name,
          description: kind.description,
          channels: modes.get(kind.name) ?? { ...kind.defaults },
        })),
        available: availableChannels.filter((name) => name === 'in_app' || channelAvailableIn(name, environment)),
        whatsappNumber: await repositories[environment].whatsappNumberOf(userId),
      };
    },

    async updatePreferences(environment, userId, update) {
      const changes = update.preferences ?? [];
      for (const change of changes) {
        requireNotificationKind(change.kind);
        if (!channelNames.includes(change.channel)) {
          throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown channel '${change.channel}'`);
        }
        if (change.channel === 'in_app' && change.delivery === 'daily') {
          throw new SwitchyardError('SY_ERR_VALIDATION', "In-app notifications are 'off' or 'immediate', not 'daily'");
        }
      }
      const at = now();
      await repositories[environment].setPreferences(userId, changes, at);
      if (update.whatsappNumber !== undefined) {
        await repositories[environment].setWhatsappNumber(userId, update.whatsappNumber, at);
      }
      return service.preferences(environment, userId);
    },

    async checkUnsubscribe(token) {
      const claim = tokens.verify(token);
      if (!findNotificationKind(claim.kind))
        throw new SwitchyardError('SY_ERR_NOT_FOUND', 'This unsubscribe link is not valid');
      return claim;
    },

    async unsubscribe(token) {
      const claim = await service.checkUnsubscribe(token);
      await repositories[claim.environment].setPreferences(
        claim.userId,
        [{ kind: claim.kind, channel: claim.channel, delivery: 'off' }],
        now(),
      );
      logger.info({ environment: claim.environment, kind: claim.kind, channel: claim.channel }, 'unsubscribed');
      return claim;
    },

    async watch(environment, userId, onChange) {
      let started = listening.get(environment);
      if (!started) {
        started = databases[environment].listen(notificationChannel, (payload) => wakeAll(environment, payload), {
          // Notifications sent while the connection was down are lost: every follower reads again.
          onReconnect: () => wakeAll(environment),
        });
        listening.set(environment, started);
        const current = started;
        current.catch(() => {
          if (listening.get(environment) === current) listening.delete(environment);
        });
      }
      await started;
      const key = watchKey(environment, userId);
      let set = watchers.get(key);
      if (!set) {
        set = new Set();
        watchers.set(key, set);
      }
      set.add(onChange);
      return () => {
        set.delete(onChange);
        if (set.size === 0) watchers.delete(key);
      };
    },

    async deliverBatch(environment, channelName, batchId, signal) {
      const repository = repositories[environment];
      const pending = (await repository.batch(batchId)).filter(
        ({ delivery }) => delivery.status === 'queued' || delivery.status === 'digest',
      );
      const first = pending[0];
      if (!first) return { sent: 0, skipped: 0 };
      const channel = channels[channelName];
      const skip = async (rows: typeof pending, reason: string) => {
        await repository.markSkipped(
          rows.map(({ delivery }) => delivery.id),
          reason,
        );
        logger.info(
          { environment, channel: channelName, batchId, count: rows.length, reason },
          'notifications skipped',
        );
        return { sent: 0, skipped: rows.length };
      };
      if (!channelAvailableIn(channelName, environment)) {
        return skip(pending, `${channelName} is not configured in ${environment}`);
      }
      const userId = first.delivery.userId;
      // The user may have turned the kind off on this channel since it was queued (an unsubscribe link).
      const modes = await effectiveModes(environment, userId);
      const wanted = pending.filter(({ notification }) => modes.get(notification.kind)?.[channelName] !== 'off');
      const unwanted = pending.filter((row) => !wanted.includes(row));
      if (unwanted.length > 0) await skip(unwanted, 'turned off by the user');
      if (wanted.length === 0) return { sent: 0, skipped: unwanted.length };
      const address = await addressOf(environment, channelName, userId);
      if (!address) {
        const skipped = await skip(
          wanted,
          `the user has no ${channelName === 'email' ? 'email address' : 'WhatsApp number'}`,
        );
        return { sent: 0, skipped: skipped.skipped + unwanted.length };
      }
      const items: OutboundItem[] = wanted.map(({ notification }) => ({
        kind: notification.kind,
        title: notification.title,
        body: notification.body,
        url: absolute(notification.link),
        createdAt: notification.createdAt,
        unsubscribeUrl: unsubscribeUrl({ environment, userId, kind: notification.kind, channel: channelName }),
      }));
      const ids = wanted.map(({ delivery }) => delivery.id);
      try {
        await channel.send(
          {
            environment,
            batchId,
            to: address.to,
            name: address.name,
            digest: first.delivery.status === 'digest',
            items,
          },
          signal,
        );
      } catch (error) {
        await repository
          .recordFailure(ids, error instanceof Error ? error.message : String(error))
          .catch(() => undefined);
        throw error;
      }
      await repository.markSent(ids, now());
      logger.info({ environment, channel: channelName, batchId, count: ids.length }, 'notifications sent');
      return { sent: ids.length, skipped: unwanted.length };
    },

    async runDigest(environment) {
      const repository = repositories[environment];
      let batches = 0;
      for (const { userId, channel } of await repository.pendingDigests()) {
        const batchId = `ndb_${randomUUID().replaceAll('-', '')}`;
        if ((await repository.claimDigest(userId, channel, batchId)) > 0) batches += 1;
      }
      // Every unsent batch gets its job (again): the digests just made, and any whose queueing failed
      // earlier. A batch whose job exists (waiting, running, dead) keeps that job: the id is the same.
      const unsent = await repository.unsentBatches(10_000);
      for (const { batchId, channel } of unsent) await enqueueBatch(environment, channel, batchId);
      return { batches, requeued: unsent.length - batches };
    },

    followers() {
      let count = 0;
      for (const set of watchers.values()) count += set.size;
      return count;
    },

    async close() {
      const started = [...listening.values()];
      listening.clear();
      watchers.clear();
      for (const current of started) {
        const unlisten = await current.catch(() => undefined);
        await unlisten?.().catch(() => undefined);
      }
      for (const channel of Object.values(channels)) channel.close();
    },
  };
  return service;
}
