import { randomUUID } from 'node:crypto';
import { type Environment, SwitchyardError } from '@switchyard/core';
import { createEventsRepository, type EventFlowLogRow, type SwitchyardDatabase } from '@switchyard/db';
import type { EventEnvelope } from '@switchyard/events';
import type { PlatformEventBus } from './event-bus';

/** Processes hear of new flow log rows here (payload: the flow id); PGlite delivers it in-process. */
const flowChannel = 'switchyard_event_flows';
/** The consumer group that copies every event of a flow into the flow log. */
export const flowLogGroup = 'flow-log';

export interface FlowEntry {
  /** The SSE event id: clients resume after it with Last-Event-ID. */
  sequence: number;
  event: EventEnvelope;
}

export interface FlowService {
  /** A new flow owned by `owner` (a principal's subject); its events carry the returned id. */
  start(environment: Environment, owner: string): Promise<string>;
  /** SY_ERR_NOT_FOUND unless the flow exists and belongs to `owner` in `environment`. */
  authorize(flowId: string, owner: string, environment: Environment): Promise<void>;
  /** The flow's events after `afterSequence`, oldest first. */
  read(flowId: string, afterSequence: number, limit?: number): Promise<FlowEntry[]>;
  /** Calls `onChange` when events of the flow were recorded (by any process); returns the unsubscribe. */
  watch(flowId: string, onChange: () => void): Promise<() => void>;
  /** Subscribes the flow-log consumer group (worker roles): every event with a flow id lands in the log. */
  record(bus: PlatformEventBus): Promise<void>;
  /** Streams following a flow in this process right now. */
  followers(): number;
  close(): Promise<void>;
}

/**
 * Flows in the control-plane database: who started one, and a log of its events that every API
 * process reads, so a client can follow a flow from any process and resume where it left off.
 */
export function createFlowService(database: SwitchyardDatabase): FlowService {
  const repository = createEventsRepository(database.db);
  const watchers = new Map<string, Set<() => void>>();
  let listening: Promise<() => Promise<void>> | undefined;

  const notifyAll = (flowId?: string) => {
    const targets = flowId === undefined ? [...watchers.values()] : [watchers.get(flowId) ?? new Set()];
    for (const set of targets) for (const watcher of [...set]) watcher();
  };

  function toEntry(row: EventFlowLogRow): FlowEntry {
    return { sequence: row.sequence, event: row.envelope as EventEnvelope };
  }

  return {
    async start(environment, owner) {
      const id = randomUUID();
      await repository.createFlow({ id, environment, owner, now: new Date() });
      return id;
    },

    async authorize(flowId, owner, environment) {
      const flow = await repository.findFlow(flowId);
      // Another user's flow looks exactly like a missing one.
      if (!flow || flow.owner !== owner || flow.environment !== environment) {
        throw new SwitchyardError('SY_ERR_NOT_FOUND', `No flow with id '${flowId}'`);
      }
    },

    async read(flowId, afterSequence, limit = 500) {
      return (await repository.readFlowLog(flowId, afterSequence, limit)).map(toEntry);
    },

    async watch(flowId, onChange) {
      if (!listening) {
        const started = database.listen(flowChannel, (payload) => notifyAll(payload), {
          // Notifications sent while the connection was down are lost: every follower reads again.
          onReconnect: () => notifyAll(),
        });
        listening = started;
        started.catch(() => {
          if (listening === started) listening = undefined;
        });
      }
      await listening;
      let set = watchers.get(flowId);
      if (!set) {
        set = new Set();
        watchers.set(flowId, set);
      }
      set.add(onChange);
      return () => {
        set.delete(onChange);
        if (set.size === 0) watchers.delete(flowId);
      };
    },

    async record(bus) {
      const names = Object.keys(bus.catalog) as Array<keyof typeof bus.catalog & string>;
      await bus.subscribe(
        flowLogGroup,
        names,
        async (event) => {
          if (event.flowId === null) return;
          const added = await repository.appendFlowLog({ ...event, flowId: event.flowId });
          if (added) await database.notify(flowChannel, event.flowId);
        },
        // One at a time: a flow's log keeps the order its events were delivered in.
        { concurrency: 1 },
      );
    },

    followers() {
      let count = 0;
      for (const set of watchers.values()) count += set.size;
      return count;
    },

    async close() {
      const current = listening;
      listening = undefined;
      watchers.clear();
      const unlisten = await current?.catch(() => undefined);
      await unlisten?.();
    },
  };
}
