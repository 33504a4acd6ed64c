import { useEffect, useMemo, useState } from "preact/hooks";
import { EventLog } from "../model/event-log.js";
import { formatCount } from "../model/format.js";
import { type LiveState, startLiveWatch } from "../model/live-watch.js";
import { useConsole } from "./context.js";

/**
 * Events: every write to the keys the list watches (keyspace events: `set`, `hset`, `expired`,
 * `del`, …) since the view was opened, newest first, with their rate. The view has a Watch
 * stream of its own, uncoalesced, open only while it is shown: the key list's stream is
 * coalesced (each changed key once per interval), so an open console costs a hot writer little.
 * Every command with its duration is the Monitor view (admin).
 */
export function EventsPanel(props: { pattern: string }) {
  const { clients } = useConsole();
  const log = useMemo(() => new EventLog(500), [props.pattern]);
  const [live, setLive] = useState<LiveState["kind"]>("connecting");
  useEffect(
    () =>
      startLiveWatch(clients, {
        pattern: props.pattern,
        onEvents: (events) => log.push(events),
        onState: (s) => setLive(s.kind),
        onResync: () => {},
      }),
    [clients, log],
  );
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
        Writes to {props.pattern ? <code>{props.pattern}</code> : "every key"} since this view opened (keyspace events;
        every command with its duration: Monitor).
      </p>
      <p role="status" data-testid="events-status" data-state={live}>
        {live === "live" ? "" : `${live === "denied" ? "Not allowed" : "Connecting"} · `}
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
