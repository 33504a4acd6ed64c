import { Code, ConnectError } from "@connectrpc/connect";
import type { KeyspaceEvent } from "../../../shared/gen/memorabilia/v1/watch_service_pb.js";
import type { Clients } from "../api/clients.js";

/** The live connection as the status badge shows it. */
export type LiveState =
  | { readonly kind: "connecting" }
  | { readonly kind: "live" }
  | { readonly kind: "reconnecting"; readonly inMs: number; readonly attempt: number; readonly reason: string }
  | { readonly kind: "unsupported"; readonly reason: string }
  /** The token may not watch this pattern (a scope problem, not a sign-out): retried now and then. */
  | { readonly kind: "denied"; readonly reason: string };

/** What a watch reports to the console. */
export interface LiveWatchOptions {
  /** The key glob to watch ("" for every key). */
  readonly pattern: string;
  /**
   * Ask the server for each changed key's last event once per this many ms (WatchRequest
   * `coalesce_ms`): a view mirroring keys then costs the server per key changed, not per write.
   * 0 or absent: every event (a log of writes).
   */
  readonly coalesceMs?: number;
  readonly onEvents: (events: readonly KeyspaceEvent[]) => void;
  readonly onState: (state: LiveState) => void;
  /** Called when a stream becomes live again after a break: the caller rescans (events were missed). */
  readonly onResync: () => void;
  /** Called on UNAUTHENTICATED: the caller asks for a token; the watch retries afterwards. */
  readonly onUnauthenticated?: () => void;
}

/** Heartbeats asked of the server; a stream silent for 3 of them is taken as dead. */
const HEARTBEAT_MS = 1000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 5000;
const UNSUPPORTED_RETRY_MS = 15_000;

/**
 * Keeps one Watch stream open, and reopens it with exponential backoff (and jitter) when it
 * breaks: server restart, network loss, or silence past the heartbeat deadline.
 * Returns the function that stops it.
 */
export function startLiveWatch(clients: Clients, options: LiveWatchOptions): () => void {
  let stopped = false;
  let abort = new AbortController();
  let attempt = 0;
  let everLive = false;
  let sleepTimer: ReturnType<typeof setTimeout> | undefined;

  const run = async () => {
    while (!stopped) {
      options.onState({ kind: "connecting" });
      abort = new AbortController();
      let watchdog: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => abort.abort(new Error("no heartbeat")), HEARTBEAT_MS * 3 + 1000);
      };
      let reason = "stream ended";
      try {
        arm();
        const stream = clients.watch.watch(
          {
            pattern: options.pattern,
            includeTtl: true,
            heartbeatMs: HEARTBEAT_MS,
            coalesceMs: options.coalesceMs ?? 0,
          },
          { signal: abort.signal },
        );
        let live = false;
        for await (const message of stream) {
          arm();
          if (!live) {
            live = true;
            attempt = 0;
            options.onState({ kind: "live" });
            if (everLive) options.onResync();
            everLive = true;
          }
          if (message.kind.case === "events") options.onEvents(message.kind.value.events);
        }
      } catch (error) {
        const e = ConnectError.from(error);
        if (stopped) break;
        if (e.code === Code.Unimplemented) {
          // An older server: say so, and look again now and then (it may be upgraded).
          options.onState({ kind: "unsupported", reason: "the server has no Watch service" });
          await new Promise<void>((resolve) => {
            sleepTimer = setTimeout(resolve, UNSUPPORTED_RETRY_MS);
          });
          continue;
        }
        if (e.code === Code.PermissionDenied) {
          options.onState({ kind: "denied", reason: e.rawMessage || e.message });
          await new Promise<void>((resolve) => {
            sleepTimer = setTimeout(resolve, UNSUPPORTED_RETRY_MS);
          });
          continue;
        }
        if (e.code === Code.Unauthenticated) options.onUnauthenticated?.();
        reason = e.rawMessage || e.message;
      } finally {
        clearTimeout(watchdog);
      }
      if (stopped) break;
      attempt++;
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (attempt - 1));
      const inMs = Math.round(base / 2 + Math.random() * (base / 2));
      options.onState({ kind: "reconnecting", inMs, attempt, reason });
      await new Promise<void>((resolve) => {
        sleepTimer = setTimeout(resolve, inMs);
      });
    }
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(sleepTimer);
    abort.abort();
  };
}
