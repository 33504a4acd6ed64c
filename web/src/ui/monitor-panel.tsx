import { useEffect, useRef, useState } from "preact/hooks";
import { commandLine, formatMicros, Ring } from "../model/command-log.js";
import { formatCount } from "../model/format.js";
import { errorText, useConsole } from "./context.js";

/** Commands kept in the page (the oldest go first). */
export const MONITOR_KEEP = 2_000;
/** Rows drawn at most (the newest matching the filter). */
const SHOW = 300;

interface Seen {
  readonly n: number;
  readonly atUs: number;
  readonly durationUs: number;
  readonly line: string;
  /** Lower-cased line and client, for the filter. */
  readonly haystack: string;
  readonly client: string;
  readonly source: string;
}

/**
 * Monitor: every command of every client as the server completes it (ServerService.Monitor, a
 * server stream; MONITOR of the RESP port), with its duration. The last {@link MONITOR_KEEP} are
 * kept; the view draws at most 4 times a second. Pause freezes the view while commands are still
 * counted and kept; the filter matches the command line and the client.
 */
export function MonitorPanel() {
  const { clients } = useConsole();
  const ring = useRef(new Ring<Seen>(MONITOR_KEEP));
  const [running, setRunning] = useState(true);
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState("");
  const [state, setState] = useState<"connecting" | "live" | "stopped">("connecting");
  const [error, setError] = useState<string | null>(null);
  const [, setTick] = useState(0);
  /** The commands drawn while paused (taken when Pause is pressed). */
  const frozen = useRef<readonly Seen[]>([]);

  useEffect(() => {
    if (!running) {
      setState("stopped");
      return;
    }
    const abort = new AbortController();
    let dirty = false;
    const timer = setInterval(() => {
      if (dirty) {
        dirty = false;
        setTick((t) => t + 1);
      }
    }, 250);
    setState("connecting");
    setError(null);
    (async () => {
      try {
        for await (const res of clients.server.monitor({}, { signal: abort.signal })) {
          const kind = res.kind;
          if (kind.case === "started") {
            setState("live");
            continue;
          }
          if (kind.case !== "command") continue;
          const c = kind.value;
          const line = commandLine(c.args);
          const client = `${c.client?.addr ?? ""}${c.client?.name ? ` ${c.client.name}` : ""}`;
          ring.current.push({
            n: ring.current.total,
            atUs: Number(c.atUs),
            durationUs: Number(c.durationUs),
            line,
            haystack: `${line} ${client}`.toLowerCase(),
            client,
            source: c.client?.source ?? "",
          });
          dirty = true;
        }
      } catch (e) {
        if (!abort.signal.aborted) {
          setError(errorText(e));
          setRunning(false);
        }
      }
    })();
    return () => {
      abort.abort();
      clearInterval(timer);
    };
  }, [clients, running]);

  const all = paused ? frozen.current : ring.current.list();
  const needle = filter.trim().toLowerCase();
  const shown: Seen[] = [];
  for (let i = all.length - 1; i >= 0 && shown.length < SHOW; i--) {
    const s = all[i] as Seen;
    if (needle === "" || s.haystack.includes(needle)) shown.push(s);
  }

  return (
    <section class="monitor-panel" aria-label="Monitor">
      <h2>Monitor</h2>
      <p class="muted">
        Every command of every client (gRPC and the Redis port) as the server completes it, with how long it ran — this
        console's own calls included. Watching costs the server work for every command: close the view when done.
      </p>
      <div class="row wrap">
        <button type="button" onClick={() => setRunning(!running)}>
          {running ? "Stop" : "Start"}
        </button>
        <button
          type="button"
          onClick={() => {
            frozen.current = ring.current.list().slice();
            setPaused(!paused);
          }}
          disabled={!running}
          aria-pressed={paused}
        >
          {paused ? "Resume" : "Pause"}
        </button>
        <button
          type="button"
          onClick={() => {
            ring.current.clear();
            setTick((t) => t + 1);
          }}
        >
          Clear
        </button>
        <input
          type="search"
          aria-label="Filter commands"
          placeholder="filter: command, key or client"
          value={filter}
          onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      <p role="status" data-testid="monitor-status">
        {state === "live" ? (paused ? "Paused" : "Live") : state === "connecting" ? "Connecting…" : "Stopped"} ·{" "}
        {formatCount(ring.current.total)} commands
        {ring.current.total > MONITOR_KEEP ? ` (the last ${formatCount(MONITOR_KEEP)} kept)` : ""}
        {needle ? ` · ${formatCount(shown.length)}${shown.length === SHOW ? "+" : ""} match` : ""}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table class="monitor">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Duration</th>
            <th scope="col">Client</th>
            <th scope="col">Command</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((s) => (
            <tr key={s.n}>
              <td class="muted">{timeOf(s.atUs)}</td>
              <td class="num">{formatMicros(s.durationUs)}</td>
              <td class="mono muted" title={s.source}>
                {s.client}
              </td>
              <td class="mono command">{s.line}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === SHOW && <p class="muted">The newest {SHOW} matching commands are shown.</p>}
    </section>
  );
}

/** `12:03:04.123456`: local time with microseconds. */
function timeOf(atUs: number): string {
  const d = new Date(Math.floor(atUs / 1000));
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(atUs % 1_000_000, 6)}`;
}
