/**
 * The etcd connection of the etcd engine: an etcd3 client with the fault handling the engine
 * needs, and the one place etcd errors become {@link StoreError}s.
 *
 * etcd3's defaults are the wrong ones here (measured in SCALE-OUT §3): a per-host circuit breaker
 * opened on every host for 5 s after 3 failures and turned a 1 s leader election into a 10.3 s
 * write outage, and its global retry re-sends any failed call — a timed-out CAS commit that did
 * apply is re-sent, and a naive loop then applied INCRs twice. So the client runs with NO policy
 * (`noop` per host and globally), and {@link EtcdConnection.call} adds what is safe: a deadline
 * per call, and bounded retries with exponential backoff on transient errors. Callers say whether
 * a call may be re-sent: reads may; a commit may only because its transaction carries a commit
 * marker (etcd-repository.ts), so a re-sent commit that already applied is recognised, not redone.
 */
import { ExponentialBackoff, type IBackoff, noop } from "cockatiel";
import {
  Etcd3,
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  GRPCDeadlineExceededError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
  type IOptions,
  isRecoverableError,
} from "etcd3";
import { StoreError } from "../../../shared/store/errors.js";
import { EtcdCallError, EtcdKv, GrpcCode, LEADER_SILENCE_MS } from "./kv-client.js";

/** TLS material for an `https://` etcd (PEM contents). */
export interface EtcdTls {
  /** CA certificate that signed the members' certificates. */
  readonly ca: Buffer;
  /** Client certificate (mutual TLS), with {@link key}. */
  readonly cert?: Buffer;
  /** Client private key. */
  readonly key?: Buffer;
}

/** How to reach etcd. */
export interface EtcdConnectionOptions {
  /** Client URLs of the members, e.g. `http://127.0.0.1:2379`. */
  readonly endpoints: readonly string[];
  /** Deadline of one call in ms (a leader election takes ~1 s; keep it near that). @default 1000 */
  readonly timeoutMs?: number;
  /** Total time one operation may spend retrying transient errors before UNAVAILABLE. @default 5000 */
  readonly retryBudgetMs?: number;
  /** etcd user name and password (etcd's own auth). */
  readonly user?: { readonly name: string; readonly password: string };
  /** TLS material (endpoints must then be `https://`). */
  readonly tls?: EtcdTls;
}

/**
 * Whether a failed call may be sent again: `idempotent` — again, and also while an earlier send is
 * still pending (a hedge: {@link EtcdConnection.hedged}); `sequential` — again, once the earlier
 * send has failed (etcd3 calls that ignore the call options: lease grants); `once` — never.
 */
export type Retry = "idempotent" | "sequential" | "once";

/** The message clients see while etcd cannot be reached or has no quorum (Redis Cluster's wording). */
export const UNAVAILABLE_MESSAGE = "CLUSTERDOWN The etcd cluster is unreachable or has no quorum";

/** etcd's refusals of missing or wrong credentials (not worth a retry; say so to the operator). */
const CREDENTIAL_ERRORS =
  /user name is empty|authentication failed|invalid user ID or password|permission denied|user name not found|invalid auth token/i;

/** True for an error after which the operation's outcome is unknown and a retry may help. */
export function isTransient(error: unknown): boolean {
  if (error instanceof StoreError) return false;
  // Refusals that a retry cannot fix, although etcd3 marks RESOURCE_EXHAUSTED as recoverable.
  if (toStoreError(error).code !== "UNAVAILABLE") return false;
  if (CREDENTIAL_ERRORS.test(String((error as Error)?.message ?? error))) return false;
  if (error instanceof GRPCUnavailableError || error instanceof GRPCDeadlineExceededError) return true;
  if (
    error instanceof EtcdCallError &&
    (error.code === GrpcCode.UNAVAILABLE || error.code === GrpcCode.DEADLINE_EXCEEDED)
  )
    return true;
  if (typeof error === "object" && error !== null && isRecoverableError(error as Error)) return true;
  const message = String((error as Error)?.message ?? error);
  // etcd's own transient errors, raised as plain GRPC errors by some paths.
  return /no leader|leader changed|timed out|timeout|ECONNREFUSED|ECONNRESET|UNAVAILABLE|not capable|too many requests/i.test(
    message,
  );
}

/**
 * Converts anything a call threw into a {@link StoreError} with the right code: UNAVAILABLE-like
 * failures become {@link UNAVAILABLE_MESSAGE}, etcd's space quota (NOSPACE alarm) becomes Redis's OOM
 * error, a request over etcd's size limit a clear LIMIT error; a StoreError passes unchanged.
 */
export function toStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const message = String((error as Error)?.message ?? error);
  if (/database space exceeded|NOSPACE/i.test(message)) {
    return new StoreError(
      "OOM",
      "OOM command not allowed when used memory > 'maxmemory'. (etcd: database space exceeded; compact and defragment etcd, or raise its --quota-backend-bytes)",
      { cause: error },
    );
  }
  if (
    /request is too large|message larger than max|too large/i.test(message) ||
    error instanceof GRPCResourceExhastedError ||
    (error instanceof EtcdCallError &&
      error.code === GrpcCode.RESOURCE_EXHAUSTED &&
      !/too many requests/i.test(message))
  ) {
    return new StoreError(
      "LIMIT",
      "ERR value too large for the etcd engine (etcd refuses requests over --max-request-bytes, 1.5 MiB by default)",
      {
        cause: error,
      },
    );
  }
  if (/too many operations in txn/i.test(message)) {
    return new StoreError(
      "LIMIT",
      "ERR transaction too large for the etcd engine (more operations than etcd's --max-txn-ops)",
      {
        cause: error,
      },
    );
  }
  if (
    error instanceof EtcdAuthenticationFailedError ||
    error instanceof EtcdPermissionDeniedError ||
    CREDENTIAL_ERRORS.test(message)
  ) {
    return new StoreError("UNAVAILABLE", `${UNAVAILABLE_MESSAGE} (etcd refused the credentials: ${message})`, {
      cause: error,
    });
  }
  return new StoreError("UNAVAILABLE", UNAVAILABLE_MESSAGE, { cause: error });
}

let ipServernameWarningDropped = false;

/**
 * grpc-js (1.14) always passes the target host as the TLS `servername`, and Node warns
 * (DEP0123, "Setting the TLS ServerName to an IP address is not permitted by RFC 6066") on every
 * TLS connection to an IP endpoint such as `https://10.0.0.5:2379`: a line on stderr at each start
 * and reconnect that says nothing an operator can act on (no SNI is sent for an IP; the member's
 * certificate is still verified against the IP's subjectAltName). This drops that one warning
 * code, once per process, and passes every other warning on unchanged.
 */
function dropIpServernameWarning(): void {
  if (ipServernameWarningDropped) return;
  ipServernameWarningDropped = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const options = rest[0];
    const code = typeof options === "object" && options !== null ? (options as { code?: unknown }).code : rest[1];
    if (code === "DEP0123") return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** First pause before a transient failure is retried, ms. */
export const RETRY_FIRST_MS = 50;
/**
 * Longest pause between retries, ms. While etcd elects a leader, members answer "no leader" at
 * once (calls require one: kv-client.ts), so the pause is what a write waits past the election:
 * with 500 ms a leader-kill's write gap measured up to 2.2× the election (timestamps in
 * BENCHMARKS.md, session 8); a failed call costs a member next to nothing.
 */
export const RETRY_MAX_MS = 100;

/**
 * A call unanswered for this long is sent again (the first send stays pending; the first answer
 * wins) while no call needing a leader has succeeded for as long (etcd is electing a leader), or
 * when etcd has answered such a call again since the last send (a leader is back: the send was
 * lost). A call a member took while it still believed in the dead leader is lost until its
 * deadline (measured: one ended 650 ms after the new leader, by its 1 s deadline). A call slow
 * under load is not sent again while others succeed, so an overloaded etcd gets no extra work.
 */
export const HEDGE_MS = LEADER_SILENCE_MS;

/**
 * At most this many sends of one call in flight while etcd is merely silent (no call needing a
 * leader has succeeded for {@link HEDGE_MS}): a silence is also what a slow etcd looks like to one
 * sequential client (a slow disk, an overloaded member), where every further send is one more
 * transaction for it to order. A lost send ends at its deadline and frees its place, so through an
 * election a call is still sent again every {@link HEDGE_MS} once its first sends have timed out.
 * The send once a leader is back ({@link EtcdKv.leaderBackAt}) is not bounded: that is the one
 * that ends an election's lost calls.
 */
export const MAX_SILENT_SENDS = 3;

/**
 * Waits for `op` to settle, at most `ms`; never rejects. For shutdown steps that talk to etcd
 * (cancelling a watch, resigning an election): etcd3 gives them no deadline, and without quorum or
 * with a dead member they never answer — a SIGTERM must still end the process.
 */
export function settleWithin(op: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (op === undefined) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    op.then(done, done);
  });
}

/**
 * The engine's two etcd clients: {@link kv} for the hot KV calls (Range, Txn: kv-client.ts, a
 * fraction of etcd3's CPU per call), and etcd3 without circuit breakers or blind retries for
 * Watch, leases and elections; plus deadline-bounded calls.
 */
export class EtcdConnection {
  /** The etcd3 client (its own fault policies are off: use {@link call}). Watch, leases, elections. */
  readonly client: Etcd3;
  /** Range and Txn (no retries of its own: use {@link call}). */
  readonly kv: EtcdKv;
  /** Deadline of one call. */
  readonly timeoutMs: number;
  /** Total retry time of one operation. */
  readonly retryBudgetMs: number;
  /** Sends of a call made while an earlier send of it was still pending ({@link hedged}). */
  hedges = 0;
  private closed = false;

  constructor(options: EtcdConnectionOptions) {
    if (options.endpoints.length === 0) throw new TypeError("etcd: at least one endpoint is needed");
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.retryBudgetMs = options.retryBudgetMs ?? 5000;
    const config: IOptions = {
      hosts: [...options.endpoints],
      dialTimeout: this.timeoutMs,
      // No circuit breaker per host, no blind global retry: see the module comment.
      faultHandling: {
        host: () => noop,
        global: noop,
        // Watch streams reconnect fast after a leader change (the measured reconnect took 50 ms).
        // etcd3's own default is `new ExponentialBackoff()` too; its typing wants the first backoff
        // (IBackoff) while it calls `.next()` on what it is given, i.e. the factory.
        watchBackoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }) as unknown as IBackoff<unknown>,
      },
      grpcOptions: {
        // Notice a dead member in seconds, not minutes (the watch stream rides one connection).
        "grpc.keepalive_time_ms": 10_000,
        "grpc.keepalive_timeout_ms": 5_000,
        "grpc.keepalive_permit_without_calls": 1,
        "grpc.max_receive_message_length": 64 * 1024 * 1024,
      },
    };
    if (options.user) {
      config.auth = {
        username: options.user.name,
        password: options.user.password,
        callOptions: () => ({ deadline: Date.now() + this.timeoutMs }),
      };
    }
    if (options.tls || options.endpoints.some((url) => url.startsWith("https://"))) dropIpServernameWarning();
    if (options.tls) {
      config.credentials = {
        rootCertificate: options.tls.ca,
        privateKey: options.tls.key,
        certChain: options.tls.cert,
      };
    }
    this.client = new Etcd3(config);
    this.kv = new EtcdKv({ endpoints: options.endpoints, tls: options.tls, user: options.user });
  }

  /** gRPC call options carrying this connection's deadline. */
  deadline(ms = this.timeoutMs): { deadline: Date } {
    return { deadline: new Date(Date.now() + ms) };
  }

  /**
   * Runs `op` with a per-call deadline (`idempotent`: {@link hedged}). A transient failure (no
   * leader, member down, deadline) is retried with exponential backoff ({@link RETRY_FIRST_MS} →
   * {@link RETRY_MAX_MS}) while the retry budget lasts, unless `retry` is `"once"`; otherwise, and
   * after the budget, it rejects with a {@link StoreError} (UNAVAILABLE, OOM, LIMIT: see
   * {@link toStoreError}). Never hangs past the budget.
   */
  async call<T>(op: (options: { deadline: Date }) => Promise<T>, retry: Retry = "idempotent"): Promise<T> {
    const until = Date.now() + this.retryBudgetMs;
    let delay = RETRY_FIRST_MS;
    for (;;) {
      if (this.closed) throw new StoreError("UNAVAILABLE", `${UNAVAILABLE_MESSAGE} (the server is shutting down)`);
      try {
        return await (retry === "idempotent" ? this.hedged(op, until) : op(this.deadline()));
      } catch (error) {
        if (retry === "once" || !isTransient(error) || Date.now() + delay > until) throw toStoreError(error);
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  /**
   * One send of `op`, sent again every {@link HEDGE_MS} while it is unanswered and etcd is
   * electing a leader or has just got one back (see HEDGE_MS), until `untilMs` (a `Date.now()` time: the caller's retry
   * budget); resolves with the first answer. Each send has its own deadline, so a send made once a
   * leader is elected is answered while the sends lost before it are still pending. Rejects when
   * every send has failed (or at once on an error a retry cannot fix). `op` must be safe to run
   * several times at once: a read, or a transaction that recognises its own earlier apply (commit
   * markers, compares).
   */
  hedged<T>(op: (options: { deadline: Date }) => Promise<T>, untilMs = Date.now() + this.retryBudgetMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let pending = 0;
      let lastSendAt = 0;
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        return true;
      };
      const arm = () => {
        if (Date.now() + HEDGE_MS >= untilMs) return;
        timer = setTimeout(() => {
          if (settled || this.closed) return;
          if (this.kv.leaderBackAt() > lastSendAt) send();
          else if (this.kv.leaderSilentMs() >= HEDGE_MS && pending < MAX_SILENT_SENDS) send();
          else arm();
        }, HEDGE_MS);
      };
      const send = () => {
        if (pending !== 0) this.hedges++;
        pending++;
        lastSendAt = performance.now();
        op(this.deadline()).then(
          (value) => {
            if (finish()) resolve(value);
          },
          (error: unknown) => {
            pending--;
            if ((pending === 0 || !isTransient(error)) && finish()) reject(error);
          },
        );
        arm();
      };
      send();
    });
  }

  /** Closes the client (pending calls fail). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.kv.close();
    this.client.close();
  }
}
