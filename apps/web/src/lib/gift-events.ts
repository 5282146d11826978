import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import {
  applyGiftEvent,
  emptyLive,
  type GiftEvent,
  type GiftLive,
  giftEventsUrl,
  giftEventTypes,
  giftSessionKey,
  giftSessionsKey,
} from './gift-finder';

/** open: following; reconnecting: the browser is retrying with Last-Event-ID; closed: it gave up. */
export type GiftConnection = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' | 'done';

/**
 * Follows a session's event stream (GET …/events) with EventSource, which reconnects by itself and
 * sends Last-Event-ID, so the server resumes after the last event seen. Events fold into `live`
 * (idempotently: the stream replays from the start). Stage changes and the end also refetch the
 * session snapshot, which carries what the events do not (per-marketplace status, ideas, summary, usage).
 */
export function useGiftEvents(
  sessionId: string | null,
  follow: boolean,
): { live: GiftLive; connection: GiftConnection; retry: () => void } {
  const client = useQueryClient();
  const [state, setState] = useState<{ id: string | null; live: GiftLive }>({ id: sessionId, live: emptyLive });
  const [connection, setConnection] = useState<GiftConnection>('idle');
  const [attempt, setAttempt] = useState(0);

  // A different session starts from nothing.
  if (state.id !== sessionId) setState({ id: sessionId, live: emptyLive });

  useEffect(() => {
    if (!sessionId || !follow) {
      setConnection('idle');
      return;
    }
    void attempt;
    const source = new EventSource(giftEventsUrl(sessionId));
    setConnection('connecting');
    const refreshSnapshot = () =>
      client.invalidateQueries({ queryKey: giftSessionKey(sessionId) }, { cancelRefetch: false });
    const listeners = giftEventTypes.map((type) => {
      const listener = (message: MessageEvent<string>) => {
        let data: unknown;
        try {
          data = JSON.parse(message.data);
        } catch {
          return; // not ours to show; the snapshot still has it
        }
        const event = { type, data } as GiftEvent;
        setState((current) =>
          current.id === sessionId ? { id: sessionId, live: applyGiftEvent(current.live, event) } : current,
        );
        if (type === 'stage' || type === 'refused') void refreshSnapshot();
        if (type === 'done') {
          // The server closes the stream after `done`; closing first keeps EventSource from reconnecting.
          source.close();
          setConnection('done');
          void client.invalidateQueries({ queryKey: giftSessionKey(sessionId) });
          void client.invalidateQueries({ queryKey: giftSessionsKey });
        }
      };
      source.addEventListener(type, listener as EventListener);
      return [type, listener] as const;
    });
    source.onopen = () => setConnection('open');
    source.onerror = () => {
      // CONNECTING: the browser retries by itself; CLOSED: it will not (an HTTP error, a wrong type).
      setConnection((current) =>
        current === 'done' ? current : source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting',
      );
      if (source.readyState === EventSource.CLOSED) void refreshSnapshot();
    };
    return () => {
      for (const [type, listener] of listeners) source.removeEventListener(type, listener as EventListener);
      source.close();
    };
  }, [sessionId, follow, client, attempt]);

  return {
    live: state.id === sessionId ? state.live : emptyLive,
    connection,
    retry: () => setAttempt((count) => count + 1),
  };
}
