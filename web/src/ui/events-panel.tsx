import { useEffect, useState } from "preact/hooks";
import type { EventLog } from "../model/event-log.js";
import { formatCount } from "../model/format.js";

/**
 * Events: the writes the console's live stream reports (keyspace events of the keys the list
 * watches: `set`, `hset`, `expired`, `del`, …), newest first, with their rate, at no cost to the
 * server. Every command with its duration is the Monitor view (admin).
 */
export function EventsPanel(props: { log: EventLog; pattern: string }) {
  const { log } = props;
  const [, setTick] = useState(0);
  const [paused, setPaused] = useState(false);
  useEffect(() => {
    if (paused) return;
    let frame = 0;
    const off = log.subscribe(() => {
      if (!frame)
        frame = requestAnimationFrame(() => {
          frame = 0;
          setTick((n) => n + 1);
        });
    });
    return () => {
      off();
      cancelAnimationFrame(frame);
    };
  }, [log, paused]);
  const items = log.list();
  const shown = items.slice(-200).reverse();
  return (
    <section class="events-panel" aria-label="Events">
      <h2>Events</h2>
      <p class="muted">
        Writes to {props.pattern ? <code>{props.pattern}</code> : "every key"} as the live stream reports them (keyspace
        events; every command with its duration: Monitor).
      </p>
      <p role="status" data-testid="events-status">
        {formatCount(log.total)} events · {log.rate(Date.now()).toFixed(1)}/s over the last 5 s{" "}
        <button type="button" class="link" onClick={() => setPaused(!paused)}>
          {paused ? "Resume" : "Pause"}
        </button>
      </p>
      <table class="events">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Key</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((e) => (
            <tr key={e.n}>
              <td class="muted">{new Date(e.atMs).toLocaleTimeString()}</td>
              <td class="mono">{e.event}</td>
              <td class="mono">{e.key}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length > shown.length && <p class="muted">The last 200 of {formatCount(items.length)} kept are shown.</p>}
    </section>
  );
}
