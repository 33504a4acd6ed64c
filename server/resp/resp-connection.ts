/**
 * One RESP client connection: parses its requests, runs them (store commands through
 * `store.run`, the same dispatch CommandService.Execute uses; connection commands through
 * resp-commands.ts), and writes the replies in order.
 *
 * Replies of everything parsed from one read are concatenated and written once. Backpressure:
 * once the socket holds more unsent bytes than {@link HIGH_WATER_BYTES}, the connection stops
 * reading and stops running buffered commands until the socket drains, so a client that pipelines
 * without reading costs bounded memory. Pushes (Pub/Sub) cannot wait: a client whose unsent bytes
 * pass the output buffer limit is disconnected (Redis's `client-output-buffer-limit`).
 */
import type { Socket } from "node:net";
import { authorize } from "../../shared/auth/index.js";
import { shutdownError, type WaitOptions } from "../../shared/store/blocking.js";
import type { Bytes } from "../../shared/store/bytes.js";
import type { CommandSpec } from "../../shared/store/command.js";
import type { CommandClient } from "../../shared/store/command-log.js";
import { CommandNameTable } from "../../shared/store/command-names.js";
import { StoreError } from "../../shared/store/errors.js";
import type { Subscriber } from "../../shared/store/pubsub.js";
import { type Reply, Status } from "../../shared/store/reply.js";
import type { WatchHandle } from "../../shared/store/repository.js";
import type { Store } from "../../shared/store/store.js";
import { currentPrincipal } from "../auth/auth-interceptor.js";
import type { Principal } from "../auth/tokens.js";
import type { BytesHolder } from "../request-bytes.js";
import { CONNECTION_COMMANDS, type ConnectionCommand, SUBSCRIBE_CONTEXT_ERROR } from "./resp-commands.js";
import { RespPush, type RespValue } from "./resp-encode.js";
import type { RespHost } from "./resp-host.js";
import { RespParser, RespProtocolError } from "./resp-parser.js";
import { RespWriter } from "./resp-writer.js";
import { respShape } from "./resp3-shapes.js";

/** Unsent bytes above which the connection stops reading (and running buffered commands). */
export const HIGH_WATER_BYTES = 256 * 1024;
/** Replies accumulated before a write even in the middle of a read's commands. */
const FLUSH_BYTES = 64 * 1024;

const runStore = (store: Store, argv: readonly Bytes[], wait: WaitOptions): Reply | Promise<Reply> =>
  store.run(argv, wait);

/** Per store command table: the names a RESP client's commands are interned from. */
const namesByTable = new WeakMap<ReadonlyMap<string, CommandSpec>, CommandNameTable>();

/** The names the parser interns: the store's commands and the connection's own (CLIENT, HELLO…). */
function respCommandNames(store: Store): CommandNameTable {
  let names = namesByTable.get(store.commands);
  if (names === undefined) {
    names = new CommandNameTable([...store.commands.keys(), ...CONNECTION_COMMANDS.keys()]);
    namesByTable.set(store.commands, names);
  }
  return names;
}

/** The error reply text of an error thrown by a command (an unexpected one is logged and hidden). */
function errorText(error: unknown, host: RespHost, argv: readonly Bytes[]): string {
  if (error instanceof StoreError) return error.message;
  host.logger.error({ err: error, command: String(argv[0]).slice(0, 64) }, "resp: command failed unexpectedly");
  return "ERR internal error (see the server log)";
}

/** True for a store command that reads or writes keys: a MONITOR client may not run it (as Redis's replica-flagged monitor). */
function touchesKeyspace(store: Store, name: Bytes): boolean {
  const spec = store.commands.get(name) ?? store.commands.get(name.toUpperCase());
  return spec !== undefined && (spec.flags.includes("readonly") || spec.flags.includes("write"));
}

/** A RESP client. */
export class RespConnection {
  /** CLIENT ID. */
  readonly id: number;
  readonly createdAtMs = Date.now();
  /** Last time commands arrived (CLIENT LIST idle). */
  lastCommandAtMs = Date.now();
  /** CLIENT SETNAME. */
  name: Bytes = "";
  /** CLIENT SETINFO lib-name / lib-ver. */
  libName: Bytes = "";
  libVersion: Bytes = "";
  /** The last command run (CLIENT LIST cmd). */
  lastCommand = "NULL";
  private proto: 2 | 3 = 2;
  /** Authenticated caller (undefined: none yet, or auth is off). */
  principal: Principal | undefined;
  /** Commands queued by MULTI (null outside a transaction). */
  multi: Bytes[][] | null = null;
  /** A command failed to queue: EXEC aborts (Redis's CLIENT_DIRTY_EXEC). */
  multiDirty = false;
  /** WATCHed keys' handles, released by EXEC, DISCARD, UNWATCH, RESET and close. */
  watches: WatchHandle[] = [];
  /** Set while this client is a MONITOR: detaches it from the command log. */
  monitorDetach: (() => void) | undefined;
  /** The command being timed when it went asynchronous (recorded when it settles). */
  private timedArgv: readonly Bytes[] | undefined;
  private timedStart = 0;
  /**
   * The clock read at the end of the last command, while the next one follows at once in the same
   * run of {@link process} (parsing it is then counted in its time); -1 otherwise.
   */
  private tick = -1;
  /** Who this client is, for the command log (built only for a command that is kept or shown). */
  readonly logClient = (): CommandClient => ({ addr: this.address, name: this.name, source: "resp" });
  /** The Pub/Sub subscriber, created on first (P)SUBSCRIBE. */
  subscriber: Subscriber | undefined;
  /**
   * Set while a blocking command (BLPOP, …) waits: aborting it ends the wait (CLIENT UNBLOCK,
   * the connection closing, server shutdown). Its reason is the reply (shared/store/blocking.ts).
   */
  blockedBy: AbortController | undefined;
  /**
   * The WaitOptions passed with every store command (`blocked` reset per command). Its signal is
   * created only when the store reads it, i.e. when a command blocks.
   */
  private readonly wait: WaitOptions;
  readonly parser: RespParser;
  /** By command name as sent: its connection command, or null for the store's (one lookup per command). */
  private readonly dispatch = new Map<Bytes, ConnectionCommand | null>();
  /** The last name looked up in {@link dispatch}, and what it gave. */
  private dispatchName: Bytes = "";
  private dispatchCommand: ConnectionCommand | null = null;
  /** Replies produced and not yet handed to the socket. */
  private readonly out = new RespWriter();
  /** Inside {@link process}: pushes wait for its write instead of scheduling their own. */
  private processing = false;
  /** Waiting for an asynchronous reply, for the socket to drain, or for durability. */
  private waiting = false;
  private paused = false;
  private flushScheduled = false;
  /** QUIT or a protocol error: nothing more is read or run. */
  private ending = false;
  closed = false;

  /**
   * @param lentReads the socket's reads come through {@link received} with a buffer that is reused
   *   once it returns (resp-socket.ts); otherwise the connection reads the socket's `data` events.
   */
  constructor(
    readonly socket: Socket,
    private readonly host: RespHost,
    private readonly lentReads = false,
  ) {
    this.id = host.nextClientId();
    this.parser = new RespParser(host.parserLimits, respCommandNames(host.store));
    this.parser.unauthenticated = host.tokens.enabled;
    const self = this;
    this.wait = {
      get signal(): AbortSignal {
        self.blockedBy ??= new AbortController();
        return self.blockedBy.signal;
      },
    };
    socket.setNoDelay(true);
    if (!lentReads) socket.on("data", (chunk: Buffer) => this.received(chunk));
    socket.on("drain", () => {
      if (!this.paused) return;
      this.paused = false;
      this.waiting = false;
      if (!this.ending) socket.resume();
      this.process();
    });
    socket.on("timeout", () => {
      // Redis exempts Pub/Sub clients and blocked clients from the idle timeout.
      if (this.subscriber !== undefined && this.subscriber.count > 0) return;
      if (this.blockedBy !== undefined) return;
      this.destroy();
    });
    socket.on("error", () => this.destroy());
    socket.on("close", () => this.cleanup());
  }

  /** Bytes read from the client: runs the commands they complete. */
  received(chunk: Buffer): void {
    if (this.ending || this.closed) return; // after QUIT or a protocol error nothing more is read
    this.lastCommandAtMs = Date.now(); // once per read, not per command: the clock is not free
    const parser = this.parser;
    parser.push(chunk);
    const budget = this.host.requestBytes;
    // Counted before anything runs: past --max-request-bytes-total the client holding the most is cut.
    if (budget === undefined || budget.update(this.held, parser.held)) {
      this.process();
      budget?.update(this.held, parser.held);
    }
    if (this.lentReads) parser.retain();
  }

  /** 2 or 3 (HELLO). */
  get protocol(): 2 | 3 {
    return this.proto;
  }

  set protocol(v: 2 | 3) {
    this.proto = v;
    this.out.resp3 = v === 3;
  }

  /** True when a token is required and none was given. */
  get needsAuth(): boolean {
    return this.host.tokens.enabled && this.principal === undefined;
  }

  /** True in RESP2 while subscribed to something: only the Pub/Sub commands are allowed. */
  get subscribeMode(): boolean {
    return this.protocol === 2 && this.subscriber !== undefined && this.subscriber.count > 0;
  }

  /** Remote `ip:port`. */
  get address(): string {
    const a = this.socket.remoteAddress ?? "?";
    return `${a.includes(":") ? `[${a}]` : a}:${this.socket.remotePort ?? 0}`.replace(/^\[::ffff:([\d.]+)\]/, "$1");
  }

  /** Local `ip:port`. */
  get localAddress(): string {
    const a = this.socket.localAddress ?? "?";
    return `${a.includes(":") ? `[${a}]` : a}:${this.socket.localPort ?? 0}`.replace(/^\[::ffff:([\d.]+)\]/, "$1");
  }

  /** Unsent reply bytes (CLIENT LIST omem). */
  get pendingBytes(): number {
    return this.out.length + this.socket.writableLength;
  }

  /** Appends `value` encoded in this connection's protocol. */
  reply(value: RespValue): void {
    this.out.value(value);
  }

  /** Appends an error reply (`message` starts with its code). */
  replyError(message: string): void {
    this.out.error(message);
  }

  /** Sends a Pub/Sub message or other push now (or with the replies being produced). */
  push(items: RespValue[]): void {
    if (this.closed) return;
    this.out.value(new RespPush(items));
    this.flushAfterPush();
  }

  /** Sends a MONITOR line (a status reply, as Redis sends them) now or with the replies being produced. */
  pushStatus(line: string): void {
    if (this.closed) return;
    this.out.status(line);
    this.flushAfterPush();
  }

  private flushAfterPush(): void {
    if (!this.processing && !this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.flushScheduled = false;
        if (!this.processing && !this.waiting) this.flush();
      });
    }
  }

  /** Stops after the replies written so far are sent (QUIT, protocol errors, CLIENT KILL of itself). */
  endAfterReply(): void {
    this.ending = true;
  }

  /**
   * Server shutdown: replies already produced are sent, a blocked command ends with an
   * `UNBLOCKED` error, nothing more is run, then the socket closes.
   */
  shutdown(): void {
    this.ending = true;
    this.blockedBy?.abort(shutdownError());
    this.process();
  }

  /** This client's input in the server-wide request bytes budget: cut, it gets an error and is closed. */
  private readonly held: BytesHolder = {
    cut: (bytes, total) => {
      if (this.ending || this.closed) return;
      this.out.error(
        `ERR Protocol error: the server holds more than ${this.host.requestBytes?.capBytes} bytes of client requests (max-request-bytes-total; ${total} with this client's ${bytes})`,
      );
      this.ending = true;
      this.host.logger.warn(
        { client: this.id, held: bytes, total },
        "resp: client closed: request bytes of all clients past max-request-bytes-total",
      );
      if (!this.processing) this.process();
    },
  };

  /** Closes the connection now. */
  destroy(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.cleanup();
  }

  /** Runs every complete command buffered, writing the replies, until input runs out or backpressure. */
  process(): void {
    if (this.processing || this.waiting || this.closed) return;
    this.processing = true;
    this.tick = -1;
    try {
      while (!this.waiting && !this.ending) {
        let argv: Bytes[] | undefined;
        try {
          argv = this.parser.next();
        } catch (error) {
          if (!(error instanceof RespProtocolError)) throw error;
          this.out.error(`ERR ${error.message}`);
          this.ending = true;
          break;
        }
        if (argv === undefined) break;
        this.execute(argv);
        if (this.out.length >= FLUSH_BYTES) {
          this.tick = -1; // the write is no command's time
          this.flush();
          if (this.socket.writableLength > HIGH_WATER_BYTES) this.pause();
        }
      }
    } finally {
      this.processing = false;
    }
    if (this.closed) return;
    if (this.waiting && !this.paused) return; // an asynchronous reply: it flushes when it resolves
    this.flush();
    if (this.waiting && !this.paused) return; // the durability barrier: its callback goes on
    if (this.ending) {
      this.finish();
      return;
    }
    if (!this.paused && this.socket.writableLength > HIGH_WATER_BYTES) this.pause();
  }

  private pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.waiting = true;
    this.socket.pause();
  }

  /** Closes after the pending replies are written. */
  private finish(): void {
    if (this.closed) return;
    this.socket.end();
    // A client that never reads its last reply must not hold the socket open forever.
    setTimeout(() => this.destroy(), 5000).unref();
  }

  /**
   * Writes the accumulated replies (after the durability barrier with `--fsync always`, in order:
   * each durable write waits for the one before it). `resume`: with the barrier, nothing more runs
   * until these replies are out, then processing resumes (false: a blocked command holds the
   * connection and resumes it itself).
   */
  private flush(resume = true): void {
    if (this.out.length === 0 || this.closed) return;
    const data = this.out.take();
    const limit = this.host.settings.outputBufferLimit;
    if (limit > 0 && this.socket.writableLength > limit) {
      this.host.counters.outputLimitDisconnects++;
      this.host.logger.warn(
        { client: this.id, addr: this.address, pending: this.socket.writableLength, limit },
        "resp: client closed for overcoming of output buffer limits",
      );
      this.destroy();
      return;
    }
    const durable = this.host.durable;
    if (durable === undefined) {
      this.send(data);
      // Written out at once (nothing left in the socket: Node keeps no reference to the bytes),
      // so the writer may reuse its slab; see RespWriter.recycle.
      if (this.socket.writableLength === 0) this.out.recycle();
      return;
    }
    // --fsync always: no reply leaves before the changes it reports are on disk.
    if (resume) this.waiting = true;
    this.durableTail = this.durableTail.then(durable).then(
      () => {
        if (this.closed) return;
        this.send(data);
        if (!resume) return;
        this.waiting = false;
        if (this.ending) this.finish();
        else this.process();
      },
      () => this.destroy(),
    );
  }

  /** The last durable write in flight (see {@link flush}). */
  private durableTail: Promise<void> = Promise.resolve();

  /** Writes slabs of replies (one write when there is one, corked together otherwise). */
  private send(data: Buffer[]): void {
    if (data.length === 1) {
      this.socket.write(data[0] as Buffer);
      return;
    }
    this.socket.cork();
    for (const b of data) this.socket.write(b);
    this.socket.uncork();
  }

  /**
   * Runs one command, timed for the command log (SLOWLOG, MONITOR) while it asks for times: one
   * clock read and a comparison per command when nothing is slow and no monitor listens (in a
   * run of pipelined commands the end of one is the start of the next: see {@link tick}).
   */
  private execute(argv: Bytes[]): void {
    const tick = this.tick;
    this.tick = -1;
    if (this.monitorDetach !== undefined && touchesKeyspace(this.host.store, argv[0] as Bytes)) {
      this.out.error("ERR Replica can't interact with the keyspace");
      return;
    }
    const log = this.host.store.commandLog;
    if (!log.timing) {
      this.executeCommand(argv);
      return;
    }
    if (this.multi !== null && !CONNECTION_COMMANDS.has(argv[0] as Bytes)) {
      // Queued in MULTI: neither logged nor shown now; EXEC's run logs each command as it runs
      // (the store records them: Redis's SLOWLOG and MONITOR see a transaction that way).
      this.executeCommand(argv);
      return;
    }
    this.wait.blocked = false;
    const unauthenticated = this.needsAuth;
    const started = tick >= 0 ? tick : performance.now();
    this.executeCommand(argv);
    const ended = performance.now();
    // Refused before running (NOAUTH, or a failed AUTH): not logged, as Redis logs what it ran.
    if (unauthenticated && this.needsAuth) return;
    // Asynchronous (a remote engine, EXEC): recorded when it settles; a blocked command now.
    if (this.waiting && !this.paused && !this.wait.blocked) {
      this.timedArgv = argv;
      this.timedStart = started;
      return;
    }
    if (!this.waiting) this.tick = ended;
    log.recordSpan(argv, started, ended, this.logClient);
  }

  /** Records the asynchronous command {@link execute} left timing, once its reply is in. */
  private recordTimed(): void {
    const argv = this.timedArgv;
    if (argv === undefined) return;
    this.timedArgv = undefined;
    const log = this.host.store.commandLog;
    if (log.timing) log.recordFor(argv, this.timedStart, this.logClient());
  }

  /** Runs one command, appending its reply. */
  private executeCommand(argv: Bytes[]): void {
    const host = this.host;
    const name = argv[0] as Bytes;
    const store = host.store;
    // A pipeline mostly repeats its command, and the parser hands the same name string again.
    let command = name === this.dispatchName ? this.dispatchCommand : this.dispatch.get(name);
    if (command === undefined) {
      command = CONNECTION_COMMANDS.get(name) ?? null;
      if (command === null && !store.commands.has(name)) command = CONNECTION_COMMANDS.get(name.toUpperCase()) ?? null;
      // Bounded: every mixed-case spelling of every command is a name too.
      if (this.dispatch.size < 64) this.dispatch.set(name, command);
    }
    this.dispatchName = name;
    this.dispatchCommand = command;
    if (command !== null) {
      this.runConnectionCommand(command, argv);
      return;
    }
    this.lastCommand = name;
    const principal = this.principal;
    if (this.multi !== null || this.needsAuth || this.subscribeMode) {
      this.storeCommandSpecialCase(argv);
      return;
    }
    let reply: Reply | Promise<Reply>;
    const wait = this.wait;
    wait.blocked = false;
    try {
      reply =
        principal === undefined ? store.run(argv, wait) : currentPrincipal.run(principal, runStore, store, argv, wait);
    } catch (error) {
      this.out.error(errorText(error, host, argv));
      return;
    }
    if (reply instanceof Promise) {
      if (wait.blocked) this.awaitBlocked(reply, argv);
      else this.await(reply, argv);
      return;
    }
    this.storeReply(reply, argv);
  }

  /** Writes a store reply in this connection's protocol (RESP3 reshapes a few commands, as Redis does). */
  private storeReply(reply: Reply, argv: readonly Bytes[], blocked = false): void {
    // The common replies directly, without the generic dispatch: a bulk string in either protocol;
    // in RESP2 an integer or a status, which respShape passes through unchanged there.
    if (typeof reply === "string") this.out.bulk(reply);
    else if (this.proto === 2 && typeof reply === "number" && Number.isInteger(reply)) this.out.integer(reply);
    else if (this.proto === 2 && reply instanceof Status) this.out.status(reply.text);
    else this.out.value(respShape(reply, argv, this.proto, blocked));
  }

  /** Waits for an asynchronous reply (a remote engine), keeping replies in order. */
  await(reply: Promise<RespValue>, argv: readonly Bytes[], encodeAs: "store" | "value" | "blocked" = "store"): void {
    this.waiting = true;
    reply
      .then(
        (value) => {
          if (encodeAs !== "value") this.storeReply(value as Reply, argv, encodeAs === "blocked");
          else this.out.value(value);
        },
        (error: unknown) => {
          this.out.error(errorText(error, this.host, argv));
        },
      )
      .finally(() => {
        this.waiting = false;
        this.recordTimed();
        if (this.closed) return;
        this.process();
      });
  }

  /**
   * Waits for a blocked command (nothing else runs meanwhile, as Redis's blocked client). The
   * replies produced before it are sent now, so a pipelined client reads them while it waits.
   */
  private awaitBlocked(reply: Promise<Reply>, argv: readonly Bytes[]): void {
    this.flushSoon();
    this.await(
      reply.finally(() => {
        this.blockedBy = undefined;
      }),
      argv,
      "blocked",
    );
  }

  /**
   * Writes the replies produced so far in a microtask (a command is about to block), with
   * `--fsync always` once they are on disk: a pipelining client reads them while it waits.
   */
  private flushSoon(): void {
    queueMicrotask(() => {
      if (!this.closed) this.flush(false);
    });
  }

  /** A store command in a transaction, before AUTH, or in RESP2 subscribe mode. */
  private storeCommandSpecialCase(argv: Bytes[]): void {
    const store = this.host.store;
    const principal = this.principal;
    // Unknown command, arity, limits and NOPERM first, as Redis checks them before anything else;
    // without a caller the policy's refusal (no authenticated caller) is Redis's NOAUTH.
    try {
      if (principal === undefined) store.resolve(argv);
      else currentPrincipal.run(principal, () => store.resolve(argv));
    } catch (error) {
      if (this.multi !== null) this.multiDirty = true;
      const noauth = this.needsAuth && error instanceof StoreError && error.code === "NOPERM";
      this.out.error(noauth ? "NOAUTH Authentication required." : errorText(error, this.host, argv));
      return;
    }
    if (this.needsAuth) {
      if (this.multi !== null) this.multiDirty = true;
      this.out.error("NOAUTH Authentication required.");
      return;
    }
    if (this.subscribeMode) {
      if ((argv[0] as Bytes).toUpperCase() === "PING") {
        // RESP2 subscribe mode: PING answers as a message-shaped array (Redis's pubsub PING).
        this.reply(["pong", argv.length > 1 ? (argv[1] as Bytes) : ""]);
        return;
      }
      this.out.error(SUBSCRIBE_CONTEXT_ERROR((argv[0] as Bytes).toLowerCase()));
      return;
    }
    (this.multi as Bytes[][]).push(argv);
    this.out.status("QUEUED");
  }

  private runConnectionCommand(command: ConnectionCommand, argv: Bytes[]): void {
    this.host.counters.commands++;
    this.lastCommand = command.name.toLowerCase();
    const n = argv.length;
    if (command.arity > 0 ? n !== command.arity : n < -command.arity) {
      if (this.multi !== null) this.multiDirty = true;
      this.out.error(`ERR wrong number of arguments for '${command.name.toLowerCase()}' command`);
      return;
    }
    if (this.needsAuth && !command.noAuth) {
      if (this.multi !== null) this.multiDirty = true;
      this.out.error("NOAUTH Authentication required.");
      return;
    }
    const p = this.principal;
    if (p !== undefined) {
      // The one authorization policy (shared/auth), as every host applies it.
      try {
        authorize(p, argv, this.host.store.commands);
      } catch (error) {
        if (this.multi !== null) this.multiDirty = true;
        this.out.error(errorText(error, this.host, argv));
        return;
      }
    }
    if (this.subscribeMode && !command.inSubscribe) {
      this.out.error(SUBSCRIBE_CONTEXT_ERROR(command.name.toLowerCase()));
      return;
    }
    if (this.multi !== null && !command.inMulti) {
      this.multiDirty = true;
      this.out.error(`ERR Command not allowed inside a transaction: '${command.name.toLowerCase()}'`);
      return;
    }
    try {
      const result = command.handler(this, argv, this.host);
      if (result instanceof Promise) this.await(result, argv, "value");
      else if (result !== undefined) this.reply(result);
    } catch (error) {
      this.out.error(errorText(error, this.host, argv));
    }
  }

  /** Releases WATCHes and leaves every channel (EXEC, DISCARD, RESET, close). */
  releaseWatches(): void {
    for (const w of this.watches) w.release();
    this.watches = [];
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.blockedBy?.abort(new StoreError("ABORTED", "ERR connection closed"));
    this.releaseWatches();
    this.subscriber?.close();
    this.subscriber = undefined;
    this.monitorDetach?.();
    this.monitorDetach = undefined;
    this.host.clients.delete(this.id);
    this.host.requestBytes?.release(this.held);
  }
}
