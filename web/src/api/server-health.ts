import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** What the console knows of the server beyond the live stream. */
export type ServerHealth =
  | { readonly kind: "ok" }
  /** `/healthz` answers 503: a graceful shutdown is draining (or the server is not serving yet). */
  | { readonly kind: "shutting-down"; readonly detail: string }
  /** Calls fail and `/healthz` cannot be reached. */
  | { readonly kind: "unreachable"; readonly detail: string };

/** How often `/healthz` is asked while the server is not healthy. */
const PROBE_MS = 1000;
/** The deadline of a unary call: a call the server never answers fails instead of hanging. */
export const UNARY_TIMEOUT_MS = 20_000;

/**
 * True for the errors a server that is going away gives: UNAVAILABLE, a bare HTTP 502-504, or
 * no connection at all (fetch's TypeError, which Connect reports as UNKNOWN).
 */
function isUnavailable(e: ConnectError): boolean {
  return (
    e.code === Code.Unavailable ||
    /HTTP 50[234]/.test(e.rawMessage) ||
    (e.code === Code.Unknown && /failed to fetch|networkerror|load failed|network error/i.test(e.rawMessage))
  );
}

/**
 * Watches the server's health from the calls the console makes: a call failing as unavailable
 * (a bare "HTTP 503" while a graceful shutdown drains, or no connection) makes it ask the
 * server's `/healthz` — and keep asking each second until it answers 200 — so the console can say
 * "shutting down" or "unreachable" instead of "Live".
 */
export class HealthMonitor {
  state: ServerHealth = { kind: "ok" };
  private readonly listeners = new Set<(h: ServerHealth) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly healthUrl: string,
    private readonly fetcher: typeof fetch = (...a) => fetch(...a),
  ) {}

  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (h: ServerHealth) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(state: ServerHealth): void {
    if (state.kind === this.state.kind) return;
    this.state = state;
    for (const l of this.listeners) l(state);
  }

  /** A call succeeded: the server is serving. */
  succeeded(): void {
    if (this.state.kind !== "ok") this.probe();
  }

  /** A call failed as unavailable: find out why, and watch until the server is back. */
  failed(): void {
    if (this.timer === undefined) this.probe();
  }

  private probe(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.fetcher(this.healthUrl, { cache: "no-store" })
      .then(
        async (res) => {
          if (res.ok) return this.set({ kind: "ok" });
          this.set({ kind: "shutting-down", detail: (await res.text()).trim() || `HTTP ${res.status}` });
        },
        (error: unknown) => this.set({ kind: "unreachable", detail: (error as Error).message }),
      )
      .finally(() => {
        if (this.state.kind !== "ok") this.timer = setTimeout(() => this.probe(), PROBE_MS);
      });
  }

  /**
   * The interceptor that feeds the monitor, gives unary calls a deadline, and turns a bare
   * "HTTP 503" into a sentence a user understands.
   */
  interceptor(): Interceptor {
    return (next) => async (req) => {
      const call = req.stream
        ? req
        : { ...req, signal: AbortSignal.any([req.signal, AbortSignal.timeout(UNARY_TIMEOUT_MS)]) };
      try {
        const res = await next(call);
        this.succeeded();
        return res;
      } catch (error) {
        const e = ConnectError.from(error);
        if (call.signal.aborted && !req.signal.aborted)
          throw new ConnectError(
            `the server did not answer within ${UNARY_TIMEOUT_MS / 1000} s`,
            Code.DeadlineExceeded,
          );
        if (!isUnavailable(e)) throw error;
        this.failed();
        throw new ConnectError(
          `the server is unavailable (${e.rawMessage}): it may be shutting down or restarting; try again in a moment`,
          Code.Unavailable,
          e.metadata,
        );
      }
    };
  }
}
