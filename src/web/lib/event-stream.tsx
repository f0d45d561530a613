/**
 * The live event stream: one EventSource on `/api/events` for the whole
 * app. It first replays what the server still holds (so the latest watch
 * mode of each device is known at once), then follows live; the browser
 * reconnects by itself and resumes from Last-Event-ID.
 */
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { EVENT_TYPES } from '../../events/event-map.js';
import type { ConfwatchEvent, WatchMode } from '../api/types.js';

/** Events kept for the live feed. */
const FEED_LENGTH = 100;

export interface LiveState {
  /** Newest first. */
  readonly events: readonly ConfwatchEvent[];
  /** Latest watch mode per device, from `watch.mode` events. */
  readonly modes: ReadonlyMap<string, { mode: WatchMode; reason: string; at: string }>;
  /** Latest config.changed time per device. */
  readonly lastChange: ReadonlyMap<string, string>;
  /** True while the stream is open. */
  readonly connected: boolean;
}

const LiveContext = createContext<LiveState>({ events: [], modes: new Map(), lastChange: new Map(), connected: false });

export const useLive = (): LiveState => useContext(LiveContext);

/** Calls `onEvent` for every live event (after mount), e.g. to reload a list. */
export function useLiveEvent(onEvent: (event: ConfwatchEvent) => void): void {
  const { events } = useLive();
  const seen = useRef<number | null>(null);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const newest = events[0]?.id ?? 0;
    if (seen.current === null) {
      seen.current = newest;
      return;
    }
    for (const event of [...events].reverse()) if (event.id > seen.current) handler.current(event);
    seen.current = Math.max(seen.current, newest);
  }, [events]);
}

function reduce(state: LiveState, event: ConfwatchEvent): LiveState {
  if (state.events.some((e) => e.id === event.id)) return state;
  const events = [event, ...state.events].slice(0, FEED_LENGTH);
  let { modes, lastChange } = state;
  if (event.type === 'watch.mode') modes = new Map(modes).set(event.device, { mode: event.mode, reason: event.reason, at: event.at });
  if (event.type === 'config.changed') lastChange = new Map(lastChange).set(event.device, event.detectedAt);
  return { ...state, events, modes, lastChange };
}

export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<LiveState>({ events: [], modes: new Map(), lastChange: new Map(), connected: false });

  useEffect(() => {
    const source = new EventSource('/api/events?lastEventId=0');
    const onEvent = (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as ConfwatchEvent;
      setState((current) => reduce(current, event));
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, onEvent);
    source.onopen = () => setState((current) => ({ ...current, connected: true }));
    source.onerror = () => setState((current) => ({ ...current, connected: false }));
    return () => source.close();
  }, []);

  return <LiveContext.Provider value={state}>{children}</LiveContext.Provider>;
}
