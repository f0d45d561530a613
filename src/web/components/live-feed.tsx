/** The newest events as they arrive (aria-live, so screen readers hear them too). */
import type { ConfwatchEvent } from '../api/types.js';
import { useLive } from '../lib/event-stream.js';
import { formatTime } from '../lib/format.js';
import { Link, paths } from '../lib/router.js';

/** One line describing an event, with a link to the file when there is one. */
function describe(event: ConfwatchEvent) {
  switch (event.type) {
    case 'config.changed':
      return (
        <>
          {event.changeType} <Link href={paths.file(event.device, event.path)}>{event.path}</Link> <span className="muted">({event.source})</span>
        </>
      );
    case 'watch.mode':
      return (
        <>
          mode {event.mode}: {event.reason}
        </>
      );
    case 'config.changeset':
      return <>{event.title}</>;
    case 'config.drift.detected':
      return (
        <>
          {event.status}: <Link href={paths.file(event.device, event.path)}>{event.path}</Link>
        </>
      );
    case 'config.drift.resolved':
      return (
        <>
          {event.resolution}: {event.path}
        </>
      );
    case 'validation.failed':
      if (event.error) return <>{`validation of ${event.path} could not run: ${event.error}`}</>;
      return (
        <>
          {event.tool} rejected <Link href={paths.file(event.device, event.path)}>{event.path}</Link>
        </>
      );
    case 'analysis.skipped':
      return (
        <>
          analysis skipped: over budget ({event.budget}, {event.limit}) for <Link href={paths.file(event.device, event.path)}>{event.path}</Link>
        </>
      );
    case 'writeback.applied':
      return <>{`${event.operation}: ${event.paths.join(', ')}`}</>;
    case 'writeback.failed':
      return <>{`${event.operation} failed: ${event.error}`}</>;
    case 'analysis.failed':
      return <>{`analysis of ${event.path ?? 'the dependency graph'} failed: ${event.error}`}</>;
    case 'reconcile.failed':
      return <>{`reconcile of ${event.path ?? 'the device'} failed: ${event.error}`}</>;
    case 'capture.failed':
      return <>{`capture failed: ${event.error}`}</>;
    case 'file.event':
      return <>{`${event.events.join(',')} ${event.path}`}</>;
    case 'device.connected':
      return <>connected to {event.target}</>;
    case 'device.disconnected':
      return <>disconnected: {event.reason}</>;
    case 'storage.quota':
      return <>{`storage quota reached (${event.usedBytes} of ${event.quotaBytes} bytes): new versions keep their hash only`}</>;
    case 'alert.delivered':
      return <>{`${event.riskLevel} alert (${event.event}) sent to ${event.channel}`}</>;
    case 'alert.failed':
      return <>{`${event.riskLevel} alert (${event.event}) to ${event.channel} failed after ${event.attempts} attempts: ${event.error}`}</>;
  }
}

export function LiveFeed({ device, hideRaw = true }: { device?: string; hideRaw?: boolean }) {
  const { events, connected } = useLive();
  // Raw watcher events repeat what config.changed says, in more noise.
  const shown = events.filter((e) => (device === undefined || e.device === device) && !(hideRaw && e.type === 'file.event')).slice(0, 40);
  return (
    <section className="panel feed" aria-labelledby="feed-title">
      <h2 id="feed-title">
        Live events <span className={`dot ${connected ? 'dot-on' : 'dot-off'}`} title={connected ? 'connected' : 'reconnecting'} />
        <span className="sr-only">{connected ? 'connected' : 'reconnecting'}</span>
      </h2>
      {shown.length === 0 ? <p className="muted">Waiting for events…</p> : null}
      <ol className="feed-list" aria-live="polite" data-testid="live-feed">
        {shown.map((event) => (
          <li key={event.id} className={`feed-item feed-${event.type.replaceAll('.', '-')}`}>
            <time dateTime={event.at}>{formatTime(event.at)}</time> <strong>{event.device}</strong> <span className="feed-type">{event.type}</span>{' '}
            <span className="feed-text">{describe(event)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
