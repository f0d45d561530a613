/**
 * Background work (analysis, validation on capture, automatic reconcile,
 * capture) has no caller to throw to. Each failure becomes one structured
 * log line and one event, so it is seen by an operator and by subscribers
 * alike. Only the error's code and first line travel: a third-party message
 * is cut short, and nothing derived from file contents is ever passed in.
 */
import { toConfwatchError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { EventBus } from './event-bus.js';
import type { EventMap, FailureFields } from './event-map.js';

/** The event types that report a background failure. */
export type FailureEventType = 'analysis.failed' | 'validation.failed' | 'reconcile.failed' | 'capture.failed';

const MAX_MESSAGE = 300;

/** The code and one-line message of anything thrown. */
export function failureFields(error: unknown): FailureFields {
  const failure = toConfwatchError(error);
  const line = failure.message.split(/\r?\n/, 1)[0] ?? '';
  return { code: failure.code, error: line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line };
}

/** Logs one warning line and publishes the failure event (on the bus, when there is one). */
export function reportFailure<K extends FailureEventType>(
  sinks: { readonly bus?: Pick<EventBus, 'publish'>; readonly log: Logger },
  type: K,
  device: string,
  fields: Omit<EventMap[K], keyof FailureFields>,
  error: unknown,
): void {
  const failure = failureFields(error);
  const line: Record<string, unknown> = { event: type, device, ...fields, ...failure };
  sinks.log.warn(line, `${type}`);
  sinks.bus?.publish(type, device, { ...fields, ...failure } as EventMap[K]);
}
