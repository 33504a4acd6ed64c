import { useEffect, useState } from "preact/hooks";
import type { SlowLogResponse } from "../../../shared/gen/memorabilia/v1/server_service_pb.js";
import { commandLine, formatMicros } from "../model/command-log.js";
import { formatCount } from "../model/format.js";
import { errorText, useConsole } from "./context.js";
import { Dialog } from "./dialog.js";

type Sort = "newest" | "duration";

/**
 * Slow log: the server's SLOWLOG (ServerService.SlowLog, every entry), sortable by duration or
 * newest first, refreshed on request, emptied with ResetSlowLog after a confirmation. The
 * threshold and length are the server's `slowlog-log-slower-than` / `slowlog-max-len`.
 */
export function SlowLogPanel() {
  const { clients, notify } = useConsole();
  const [log, setLog] = useState<SlowLogResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sort, setSort] = useState<Sort>("duration");
  const [confirm, setConfirm] = useState(false);
  const [loading, setLoading] = useState(false);

  const load = async (): Promise<void> => {
    setLoading(true);
    try {
      setLog(await clients.server.slowLog({ all: true }));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load();
  }, [clients]);

  const entries = log ? [...log.entries] : [];
  if (sort === "duration") entries.sort((a, b) => Number(b.durationUs - a.durationUs) || Number(b.id - a.id));
  const threshold = log ? Number(log.slowerThanUs) : 0;

  return (
    <section class="slowlog-panel" aria-label="Slow log">
      <h2>Slow log</h2>
      {log && (
        <p class="muted" data-testid="slowlog-settings">
          {threshold < 0
            ? "The slow log is off (slowlog-log-slower-than is negative)."
            : threshold === 0
              ? "Every command is logged (slowlog-log-slower-than 0)."
              : `Commands that ran at least ${formatMicros(threshold)}, on every port (slowlog-log-slower-than).`}{" "}
          The newest {formatCount(log.maxLen)} are kept.
        </p>
      )}
      <div class="row">
        <button type="button" onClick={() => void load()} disabled={loading}>
          Refresh
        </button>
        <button type="button" class="danger" onClick={() => setConfirm(true)} disabled={!log || log.length === 0n}>
          Reset…
        </button>
        <span class="muted" role="status">
          {loading ? "Loading…" : log ? `${formatCount(log.length)} entries` : ""}
        </span>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {log && entries.length === 0 && <p class="muted">No command was slow enough to be logged.</p>}
      {entries.length > 0 && (
        <table class="slowlog">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col" aria-sort={sort === "newest" ? "descending" : "none"}>
                <button type="button" class="link" onClick={() => setSort("newest")}>
                  Time{sort === "newest" ? " ▼" : ""}
                </button>
              </th>
              <th scope="col" aria-sort={sort === "duration" ? "descending" : "none"}>
                <button type="button" class="link" onClick={() => setSort("duration")}>
                  Duration{sort === "duration" ? " ▼" : ""}
                </button>
              </th>
              <th scope="col">Command</th>
              <th scope="col">Client</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={String(e.id)}>
                <td class="muted">{String(e.id)}</td>
                <td class="muted">{new Date(Number(e.atSeconds) * 1000).toLocaleTimeString()}</td>
                <td class="num">{formatMicros(Number(e.durationUs))}</td>
                <td class="mono command">{commandLine(e.args)}</td>
                <td class="mono muted" title={e.client?.source}>
                  {e.client?.addr}
                  {e.client?.name ? ` ${e.client.name}` : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {confirm && (
        <Dialog id="slowlog-reset" title="Reset the slow log?" onClose={() => setConfirm(false)}>
          <p>
            This empties the server's slow log ({formatCount(log?.length ?? 0n)} entries) for every client (SLOWLOG
            RESET).
          </p>
          <div class="row end">
            <button type="button" onClick={() => setConfirm(false)}>
              Cancel
            </button>
            <button
              type="button"
              class="danger"
              onClick={async () => {
                setConfirm(false);
                try {
                  await clients.server.resetSlowLog({});
                  notify("Slow log reset");
                } catch (e) {
                  notify(errorText(e), "error");
                }
                await load();
              }}
            >
              Reset
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
