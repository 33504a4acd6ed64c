/**
 * Limits on connections, as Redis has `maxclients` and `timeout`: how many connections the server
 * holds in all and per client address, and how long an HTTP/2 connection may stay open with no
 * request in flight. Shared by the cleartext port (cleartext-server.ts) and the TLS port.
 *
 * HTTP/1.1's own phases (headers, request, keep-alive) are Node's `http.Server` timeouts; the
 * cleartext server configures them (see there).
 */
import type * as http2 from "node:http2";
import type * as net from "node:net";

/** Connection limits (0 turns a limit off). */
export interface ConnectionLimits {
  /** Most connections open at once. */
  readonly maxClients: number;
  /** Most connections open at once from one client address. */
  readonly maxClientsPerAddress: number;
  /** An HTTP/2 connection (or an idle HTTP/1.1 keep-alive connection) with no request in flight this long is closed. */
  readonly idleTimeoutMs: number;
}

/** Why the guard turned a connection away or closed it (a metric label). */
export type ConnectionRefusal = "max_clients" | "max_clients_per_address" | "idle_timeout";

/** The guard of one listening port (see the module comment). */
export interface ConnectionGuard {
  /**
   * Counts a new TCP connection, or destroys it and returns false when a cap is reached. The
   * connection is uncounted when it closes.
   */
  admit(socket: net.Socket): boolean;
  /**
   * Counts an HTTP/2 session's open streams, and closes it once it has had none for `idleTimeoutMs`.
   * The session's streams are counted by a `stream` listener on it, unless the server's own
   * `stream` listener hands each stream to {@link ConnectionGuard.watchStream} ({@link guardStreamsOf}).
   */
  watchSession(session: http2.ServerHttp2Session): void;
  /** Counts a new stream of a watched session (when the server's `stream` listener does it: {@link guardStreamsOf}). */
  watchStream(stream: http2.ServerHttp2Stream): void;
  /**
   * Closes a session gracefully (GOAWAY; open streams finish) and destroys it if it is still there
   * with no open stream a moment later: Node keeps an idle session whose peer does not answer
   * (e.g. never acknowledges SETTINGS) open after `close()`, which held shutdown to its deadline.
   */
  closeSession(session: http2.ServerHttp2Session): void;
  /** Connections open now. */
  readonly open: number;
}

/** Creates a guard; `onRefused` is told each refusal (for metrics and the rate-limited log). */
export function createConnectionGuard(
  limits: ConnectionLimits,
  onRefused: (reason: ConnectionRefusal, address: string) => void = () => {},
): ConnectionGuard {
  const perAddress = new Map<string, number>();
  let open = 0;

  const admit = (socket: net.Socket): boolean => {
    const address = socket.remoteAddress ?? "";
    const mine = perAddress.get(address) ?? 0;
    const reason: ConnectionRefusal | undefined =
      limits.maxClients > 0 && open >= limits.maxClients
        ? "max_clients"
        : limits.maxClientsPerAddress > 0 && mine >= limits.maxClientsPerAddress
          ? "max_clients_per_address"
          : undefined;
    if (reason !== undefined) {
      // Before any byte is read the protocol is unknown: a reset is the one answer every client understands.
      socket.on("error", () => {});
      socket.destroy();
      onRefused(reason, address);
      return false;
    }
    open++;
    perAddress.set(address, mine + 1);
    socket.once("close", () => {
      open--;
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n === 0) perAddress.delete(address);
      else perAddress.set(address, n);
    });
    return true;
  };

  /** The watch of each watched session (its open streams). */
  const watches = new WeakMap<http2.Http2Session, SessionWatch>();
  /** Set once the server's `stream` listener counts each stream (watchStream): no listener per session then. */
  let streamsFromServer = false;

  const watchStream = (stream: http2.ServerHttp2Stream): void => {
    const session = stream.session;
    const watch = session === undefined ? undefined : watches.get(session);
    // Counted once, whoever hands it over.
    if (watch === undefined || (stream as WatchedStream)[kWatch] !== undefined) return;
    watch.open++;
    if (watch.timer !== undefined) clearTimeout(watch.timer);
    watch.timer = undefined;
    (stream as WatchedStream)[kWatch] = watch;
    stream.on("close", onWatchedStreamClose);
  };

  const closeSession = (session: http2.ServerHttp2Session): void => {
    if (session.destroyed) return;
    if (!session.closed) session.close();
    setTimeout(() => {
      if (!session.destroyed && (watches.get(session)?.open ?? 0) === 0) session.destroy();
    }, 1000).unref();
  };

  const watchSession = (session: http2.ServerHttp2Session): void => {
    const idleMs = limits.idleTimeoutMs;
    const watch = new SessionWatch(session, () => {
      if (idleMs <= 0) return;
      watch.timer = setTimeout(() => {
        if (session.closed || session.destroyed) return;
        onRefused("idle_timeout", session.socket?.remoteAddress ?? "");
        closeSession(session);
      }, idleMs);
      watch.timer.unref();
    });
    watches.set(session, watch);
    watch.arm();
    // One listener per session and one shared function per stream finding the session's watch
    // on it: a closure (and a `once` wrapper) per stream cost an allocation per call. None when
    // the server's listener counts the streams: a second `stream` listener on the session makes
    // Node clone its listener array at every stream.
    if (!streamsFromServer) session.on("stream", watchStream);
    session.once("close", () => {
      if (watch.timer !== undefined) clearTimeout(watch.timer);
    });
  };

  const guard = {
    admit,
    watchSession,
    watchStream,
    closeSession,
    get open() {
      return open;
    },
    [kStreamsFromServer]: () => {
      streamsFromServer = true;
    },
  };
  return guard;
}

const kStreamsFromServer: unique symbol = Symbol("memorabilia.guardStreamsFromServer");
const kServerGuard: unique symbol = Symbol("memorabilia.serverConnectionGuard");
type GuardedServer = { [kServerGuard]?: ConnectionGuard };

/**
 * Notes that `guard` watches the sessions of `server` (set before it listens), for
 * {@link guardStreamsOf}.
 */
export function guardServer(server: object, guard: ConnectionGuard): void {
  (server as GuardedServer)[kServerGuard] = guard;
}

/**
 * The guard of `server` ({@link guardServer}), for a `stream` listener of the server that will
 * hand it every new stream (`watchStream`) from now on: the guard then adds no `stream` listener
 * to the sessions it watches. Undefined for an unguarded server.
 */
export function guardStreamsOf(server: object): ConnectionGuard | undefined {
  const guard = (server as GuardedServer)[kServerGuard];
  (guard as { [kStreamsFromServer]?: () => void } | undefined)?.[kStreamsFromServer]?.();
  return guard;
}

const kThenClose: unique symbol = Symbol("memorabilia.thenClose");
type ClosingStream = http2.ServerHttp2Stream & { [kThenClose]?: ((this: http2.ServerHttp2Stream) => void) | undefined };

/**
 * Has `onClose` (a shared function, called on the stream) run when a watched stream closes, from
 * the guard's own `close` listener, before the guard's count: one `close` listener on the stream,
 * not two (a second listener makes Node keep an array of them and clone it at the emit). False,
 * with nothing done, for a stream the guard does not watch: the caller listens itself.
 */
export function closeWithGuard<S extends http2.ServerHttp2Stream>(stream: S, onClose: (this: S) => void): boolean {
  const s = stream as ClosingStream & WatchedStream;
  if (s[kWatch] === undefined) return false;
  s[kThenClose] = onClose as (this: http2.ServerHttp2Stream) => void;
  return true;
}

/** A watched HTTP/2 session: its open streams, and its idle timer while it has none. */
class SessionWatch {
  open = 0;
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly session: http2.ServerHttp2Session,
    /** Arms the idle timer. */
    readonly arm: () => void,
  ) {}
}

const kWatch: unique symbol = Symbol("memorabilia.sessionWatch");
type WatchedStream = http2.ServerHttp2Stream & { [kWatch]?: SessionWatch | undefined };

/** A watched session's stream closed (`on`, not `once`: "close" comes once). */
function onWatchedStreamClose(this: WatchedStream & ClosingStream): void {
  const then = this[kThenClose];
  if (then !== undefined) {
    this[kThenClose] = undefined;
    then.call(this);
  }
  const watch = this[kWatch];
  if (watch === undefined) return;
  this[kWatch] = undefined;
  watch.open--;
  if (watch.open === 0 && !watch.session.closed && !watch.session.destroyed) watch.arm();
}
