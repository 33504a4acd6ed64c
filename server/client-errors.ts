/**
 * Client mistakes and limits a client hit (a refused connection, a timeout, an oversized or
 * malformed request) are not server errors: each is counted in `memorabilia_client_errors_total`
 * and logged at most once per interval per kind, with how many there were — never with a stack,
 * so a flood of bad requests cannot become a flood of logs.
 */
import type { FastifyBaseLogger } from "fastify";

/** Where client errors are reported. */
export interface ClientErrors {
  /** Records one client error of `kind` (a short snake_case label) from `address`. */
  note(kind: string, address?: string, detail?: string): void;
}

/** Options of {@link createClientErrors}. */
export interface ClientErrorsOptions {
  readonly log: Pick<FastifyBaseLogger, "warn">;
  readonly count: (kind: string) => void;
  /** At most one log line per kind per interval. @default 10_000 */
  readonly intervalMs?: number;
}

interface KindState {
  /** Errors not logged yet. */
  pending: number;
  lastAddress: string | undefined;
  lastDetail: string | undefined;
  /** Set while an interval is running (the next line waits for it). */
  timer: NodeJS.Timeout | undefined;
}

/** Creates the reporter: the first error of a kind is logged at once, the rest summed per interval. */
export function createClientErrors(options: ClientErrorsOptions): ClientErrors {
  const intervalMs = options.intervalMs ?? 10_000;
  const kinds = new Map<string, KindState>();

  const flush = (kind: string, state: KindState): void => {
    if (state.pending === 0) {
      state.timer = undefined;
      return;
    }
    options.log.warn(
      { kind, count: state.pending, lastAddress: state.lastAddress, lastDetail: state.lastDetail },
      `client errors: ${state.pending} × ${kind}${state.timer === undefined ? "" : ` in the last ${intervalMs / 1000} s`} (refused as the client's fault; counted in memorabilia_client_errors_total)`,
    );
    state.pending = 0;
    state.timer = setTimeout(() => flush(kind, state), intervalMs);
    state.timer.unref();
  };

  return {
    note(kind, address, detail) {
      options.count(kind);
      let state = kinds.get(kind);
      if (state === undefined) {
        state = { pending: 0, lastAddress: undefined, lastDetail: undefined, timer: undefined };
        kinds.set(kind, state);
      }
      state.pending++;
      state.lastAddress = address;
      state.lastDetail = detail === undefined ? undefined : detail.slice(0, 200);
      if (state.timer === undefined) flush(kind, state);
    },
  };
}
