/**
 * Batch and Pipeline over an asynchronous (remote) engine, in groups: the commands a Batch issues,
 * or a Pipeline stream receives in one turn, run as few store transactions of many commands each
 * instead of one store call (key lock, engine `atomic`, fetch, commit) per command. On the etcd
 * engine a group is one fetch of its keys and, when it writes, one commit part; the groups of one
 * turn still share etcd requests (etcd-repository.ts), so a Batch of 100 GETs stays one range
 * transaction and a Batch of 100 SETs one commit, for a fraction of the server CPU per command.
 *
 * How a command gets into a group: each typed command goes through its RPC's own handler
 * ({@link CommandDispatcher}, so argument building, validation and reply conversion are written
 * once), over a stand-in store whose `run` files the argv it is given and returns a promise of
 * its reply; the group's transaction settles those promises.
 *
 * What a group keeps (docs/FLEET.md, "Consistency, per command"):
 * - **Per-key order**: the commands of a group run one after the other on one staged view, in
 *   issue order, and every group, and every command that cannot join one, takes its place in
 *   the store's key locks in issue order (a command that cannot join flushes the group before it).
 * - **Each command's own reply or error**: a group is a `"continue"` transaction (Redis's
 *   MULTI/EXEC): a command that fails at run time (WRONGTYPE…) answers its error while the
 *   others apply. A failure of the engine itself (UNAVAILABLE…) fails the whole group, as a
 *   shared commit already did. A group is atomic, as a Batch is on the in-memory engine.
 * - **The command log**: each command is logged with its own run time, as before.
 *
 * What never joins a group (it runs alone, as before, in its place): an unknown or malformed
 * command (its error is its own), whole-keyspace commands (SCAN, KEYS, DBSIZE, RANDOMKEY,
 * FLUSHALL: paged reads), blocking commands (they may wait), `no-multi` commands, and a command
 * whose keys or bytes alone exceed a group's bounds. A group stays within etcd's default
 * transaction size: at most {@link GROUP_KEYS} keys (three operations each at most) and
 * {@link GROUP_BYTES} of arguments.
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { Command } from "../gen/memorabilia/v1/transaction_service_pb.js";
import type { WaitOptions } from "../store/blocking.js";
import type { Bytes } from "../store/bytes.js";
import { commandKeys } from "../store/command.js";
import { StoreError } from "../store/errors.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { CommandDispatcher, type CommandResultInit, storeWithRun } from "./command-dispatch.js";
import { CONCURRENCY_WINDOW } from "./concurrent.js";
import type { ServiceOptions } from "./service-options.js";

/** Most keys of one group: 3 etcd operations each at most, within etcd's default of 128 per transaction. */
export const GROUP_KEYS = 40;
/** Most argument bytes of one group (the engine's shared commits stay under 512 KiB). */
export const GROUP_BYTES = 256 * 1024;

/** A command filed into a group, waiting for its reply. */
interface Filed {
  readonly argv: readonly Bytes[];
  readonly keys: number;
  readonly bytes: number;
  resolve(reply: Reply): void;
  reject(error: unknown): void;
}

/** The commands of one Batch window, or of one Pipeline turn, not yet sent to the store. */
class Group {
  private filed: Filed[] = [];

  constructor(private readonly store: Store) {}

  /** Files `argv` (`keys` keys, `bytes` bytes) and returns the promise of its reply. */
  file(argv: readonly Bytes[], keys: number, bytes: number): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      this.filed.push({ argv, keys, bytes, resolve, reject });
    });
  }

  /** Sends what is filed, in order, in transactions within the bounds; their key locks are queued now. */
  flush(): void {
    const filed = this.filed;
    if (filed.length === 0) return;
    this.filed = [];
    let start = 0;
    let keys = 0;
    let bytes = 0;
    for (let i = 0; i < filed.length; i++) {
      const f = filed[i] as Filed;
      if (i !== start && (keys + f.keys > GROUP_KEYS || bytes + f.bytes > GROUP_BYTES)) {
        this.send(filed.slice(start, i));
        start = i;
        keys = 0;
        bytes = 0;
      }
      keys += f.keys;
      bytes += f.bytes;
    }
    this.send(start === 0 ? filed : filed.slice(start));
  }

  private send(group: readonly Filed[]): void {
    const argvs = group.map((f) => f.argv);
    this.store.transactionBytes(argvs, undefined, { mode: "continue", ranEach: true }).then(
      (replies) => {
        for (let i = 0; i < group.length; i++) {
          const reply = (replies as Reply[])[i] as Reply | StoreError;
          if (reply instanceof StoreError) (group[i] as Filed).reject(reply);
          else (group[i] as Filed).resolve(reply);
        }
      },
      (error: unknown) => {
        for (const f of group) f.reject(error);
      },
    );
  }
}

/** What a host may pass to {@link RemoteBatches}: the services' options and its turn scheduler. */
export interface RemoteBatchOptions extends ServiceOptions {
  /**
   * Runs a function after the current event-loop turn: when a Pipeline turn's group is sent.
   * Node hosts pass `setImmediate` (no 1 ms timer clamp). @default `setTimeout(fn, 0)`
   */
  readonly defer?: (fn: () => void) => void;
}

/** Runs the typed commands of Batch and Pipeline calls in groups (see the module comment). */
export class RemoteBatches {
  /** The group the commands being issued now are filed into (set only while a handler is called). */
  private open: Group | undefined;
  private readonly dispatcher: CommandDispatcher;
  private readonly defer: (fn: () => void) => void;

  constructor(
    private readonly store: Store,
    options: RemoteBatchOptions = {},
  ) {
    this.defer = options.defer ?? ((fn) => void setTimeout(fn, 0));
    const standIn = storeWithRun(store, (argv, wait) => this.run(argv, wait));
    this.dispatcher = new CommandDispatcher(standIn, options);
  }

  /** The stand-in's `run`: files a command into the open group, or runs it alone in its place. */
  private run(argv: readonly Bytes[], wait?: WaitOptions): Reply | Promise<Reply> {
    const group = this.open;
    // A handler's later command (after an await) runs as a lone command would.
    if (group === undefined) return this.store.run(argv, wait);
    let spec: ReturnType<Store["resolve"]>;
    try {
      spec = this.store.resolve(argv);
    } catch {
      group.flush();
      return this.store.run(argv, wait); // throws the same error, counted as the store counts it
    }
    if (spec.keyspace === undefined && spec.blocking === undefined && !spec.flags.includes("no-multi")) {
      const keys = commandKeys(spec, argv).length;
      let bytes = 0;
      for (const a of argv) bytes += a.length;
      if (keys <= GROUP_KEYS && bytes <= GROUP_BYTES) return group.file(argv, keys, bytes);
    }
    group.flush();
    return this.store.run(argv, wait);
  }

  /** Issues `command` (its handler files what it runs into `group`). */
  private issue(group: Group, command: Command | undefined, ctx: HandlerContext): Promise<CommandResultInit> {
    this.open = group;
    try {
      return this.dispatcher.run(command, ctx);
    } finally {
      this.open = undefined;
    }
  }

  /** A Batch's results, in order: its commands issued in windows of {@link CONCURRENCY_WINDOW}, each window in groups. */
  async batch(commands: readonly Command[], ctx: HandlerContext): Promise<CommandResultInit[]> {
    const out: CommandResultInit[] = [];
    for (let start = 0; start < commands.length; start += CONCURRENCY_WINDOW) {
      const group = new Group(this.store);
      const end = Math.min(commands.length, start + CONCURRENCY_WINDOW);
      const results: Promise<CommandResultInit>[] = [];
      for (let i = start; i < end; i++) results.push(this.issue(group, commands[i], ctx));
      group.flush();
      for (const r of await Promise.all(results)) out.push(r);
    }
    return out;
  }

  /**
   * The starter of one Pipeline stream's requests: the requests started in one turn (those that
   * arrived together) are sent as groups once the turn ends.
   */
  pipeline(ctx: HandlerContext): (command: Command | undefined) => Promise<CommandResultInit> {
    let group: Group | undefined;
    return (command) => {
      if (group === undefined) {
        const fresh = new Group(this.store);
        group = fresh;
        this.defer(() => {
          if (group === fresh) group = undefined;
          fresh.flush();
        });
      }
      return this.issue(group, command, ctx);
    };
  }
}
