/**
 * The etcd engine: a {@link Repository} whose keyspace lives in an etcd cluster, so any number of
 * stateless Memorabilia servers share it (SCALE-OUT.md, docs/FLEET.md).
 *
 * A command runs as optimistic compare-and-swap:
 * 1. fetch its declared keys in one linearizable read (one revision for all of them);
 * 2. run the unchanged handler on a {@link StagedView} of them (writes staged in memory);
 * 3. read-only: reply (nothing is committed); otherwise commit ONE etcd transaction that compares
 *    the mod_revision of every key read (a WATCHed key is read too) and that a fresh commit marker
 *    does not exist yet, and puts every changed key, its deadline-index entries, the outbox (the
 *    commit's keyspace events) and the marker;
 * 4. on a failed compare, the same transaction's else-branch returned the keys' fresh values: run
 *    the handler again on them (no extra round trip), up to {@link MAX_ATTEMPTS}, then ABORTED;
 * 5. when the commit's outcome is unknown (deadline, member killed mid-call), send the SAME
 *    transaction again: if it had applied, the marker now exists, the compare fails and the
 *    else-branch shows the marker — the command's result is returned, never applied twice
 *    (measured: 48 of 235 INCRs applied twice without the marker, 0 of 290 with it).
 *
 * TTLs: the deadline is in the value (exact visibility on every read) and in a deadline index that
 * one sweeper, elected among the servers (sweeper.ts), ranges to delete due keys and emit their
 * single `expired` event. Keyspace events go through the outbox key every server watches.
 */
import { randomBytes } from "node:crypto";
import type { Lease, IKeyValue as WatchedKeyValue, Watcher } from "etcd3";
import type { Bytes } from "../../../shared/store/bytes.js";
import { StoreError } from "../../../shared/store/errors.js";
import type { EventBus, KeyspaceEvent } from "../../../shared/store/events.js";
import { globMatch } from "../../../shared/store/glob.js";
import type {
  AtomicIntent,
  KeyspaceView,
  KeyView,
  Repository,
  RepositoryStats,
  ScanFilter,
  ScanPage,
  WatchHandle,
} from "../../../shared/store/repository.js";
import { ValueType } from "../../../shared/store/value-codec.js";
import {
  EtcdConnection,
  type EtcdConnectionOptions,
  isTransient,
  RETRY_FIRST_MS,
  RETRY_MAX_MS,
  settleWithin,
  toStoreError,
} from "./client.js";
import { encodeEnvelope, envelopeDeadline, envelopeType } from "./envelope.js";
import {
  type Compare,
  CompareResult,
  CompareTarget,
  type Int64,
  int64Number,
  int64String,
  type KeyValue,
  type RangeRequest,
  type RequestOp,
} from "./kv-client.js";
import { Layout, prefixEnd } from "./layout.js";
import { decodeEvents, encodeEvents } from "./outbox.js";
import {
  BLIND,
  type FetchedKey,
  NEEDS_BASE,
  NeedsRemote,
  type RemoteAnswers,
  type RemoteOp,
  remoteKey,
  StagedView,
  type ViewCounters,
} from "./staged-view.js";

/** Commit attempts after conflicts before a command fails with ABORTED (at least; see {@link CONFLICT_BUDGET_MS}). */
export const MAX_ATTEMPTS = 16;
/** How long a command's commit keeps retrying after conflicts (past {@link MAX_ATTEMPTS}) before ABORTED. */
export const CONFLICT_BUDGET_MS = 5_000;
/**
 * Most stored keys a whole-keyspace transaction (MULTI with KEYS/SCAN/DBSIZE/RANDOMKEY/FLUSHALL)
 * reads: it fetches them all at one revision, values included, in one etcd response.
 */
export const MAX_KEYSPACE_TXN_KEYS = 10_000;

function tooLargeForKeyspaceTxn(limit: number, cause?: unknown): StoreError {
  return new StoreError(
    "LIMIT",
    `ERR KEYS, SCAN, DBSIZE, RANDOMKEY and FLUSHALL inside MULTI read the whole keyspace in one etcd transaction: the etcd engine allows it up to ${limit} keys and a 64 MiB response; run them outside MULTI`,
    cause === undefined ? undefined : { cause },
  );
}
/** Remote whole-keyspace answers one command may need before it is refused (a runaway guard). */
const MAX_REMOTE_STEPS = 64;
/** Keys per range page for KEYS, DBSIZE fallbacks and flush counting. */
const PAGE = 500;

/** How reads reach etcd. */
export type ReadConsistency = "linearizable" | "serializable";

/** Options of {@link EtcdRepository}. */
export interface EtcdRepositoryOptions extends EtcdConnectionOptions {
  /** Prefix of every etcd key the engine writes. @default "memorabilia/0/" */
  readonly prefix?: string;
  /** Read consistency of read-only commands and fetches. @default "linearizable" */
  readonly reads?: ReadConsistency;
  /** Random source for RANDOMKEY's start point. @default Math.random */
  readonly random?: () => number;
  /**
   * Keys whose value and revision are cached as the base of the next write (0: off). A warm entry
   * saves a write its read round trip, but on a key hot on SEVERAL servers the server writing from
   * its cache commits back to back and starves the others into ABORTED (measured: 2 x 150
   * concurrent INCRs on one key). @default 0
   */
  readonly cacheKeys?: number;
  /** Most stored keys a whole-keyspace transaction may read. @default {@link MAX_KEYSPACE_TXN_KEYS} */
  readonly keyspaceTxnKeys?: number;
}

/** What the store lends its engine (the seam's `attach`). */
export interface EtcdRepositoryHost {
  readonly events: EventBus;
}

const ZERO = "0";
/** Keys per coalesced fetch txn: etcd's default --max-txn-ops (128), so coalescing never trips a limit a lone command would not. */
const FETCH_OPS = 128;

/**
 * TTL of the keyspace's TTL-tag lease, in seconds (about 95 years: etcd's limit is 9e9 s). It is
 * never kept alive and never expires in practice; etcd refreshes it on a leader change.
 */
const TTL_TAG_LEASE_S = 3_000_000_000;

/** Most ops per list (compare, success, failure) of a shared commit txn: etcd's default --max-txn-ops. */
const COMMIT_OPS = 128;
/** Most value bytes of a shared commit txn (etcd's default request limit is 1.5 MiB). */
const COMMIT_BYTES = 512 * 1024;

/** What a commit resolves with: committed, or the fresh values of the keys after a failed compare. */
type CommitOutcome = true | Map<Bytes, FetchedKey>;

/** One command's share of a commit transaction (see EtcdRepository.commitPart). */
interface CommitPart {
  readonly compare: Compare[];
  readonly success: RequestOp[];
  readonly failure: RequestOp[];
  /** The keys the else-branch ranges, in its order. */
  readonly ranged: Bytes[];
  readonly written: [Bytes, Buffer | undefined][];
  readonly events: readonly KeyspaceEvent[];
  readonly ttlLease: string | undefined;
  /** Approximate request bytes of the writes. */
  readonly bytes: number;
  /** Every key it compares or writes. */
  readonly keys: readonly Bytes[];
}

/** A commit waiting for its turn's flush. */
interface PendingCommit {
  readonly part: CommitPart;
  resolve(outcome: CommitOutcome): void;
  reject(error: unknown): void;
}

/** Largest envelope the revision cache keeps. */
const CACHE_VALUE_BYTES = 16 * 1024;

/** One caller's keys waiting for the turn's fetch. */
interface PendingFetch {
  readonly keys: readonly Bytes[];
  resolve(fetched: Map<Bytes, FetchedKey>): void;
  reject(error: unknown): void;
}

const TYPE_NAMES: Record<number, string> = {
  [ValueType.STRING]: "string",
  [ValueType.LIST]: "list",
  [ValueType.HASH]: "hash",
  [ValueType.SET]: "set",
  [ValueType.ZSET]: "zset",
  [ValueType.STREAM]: "stream",
};

/** The etcd engine (see the module comment). */
export class EtcdRepository implements Repository {
  readonly synchronous = false;
  /** The seam's capabilities (read by a store that supports them). */
  readonly capabilities = {
    synchronous: false,
    stagesWrites: true,
    publishesEvents: true,
    lockKeyspaceReads: false,
  } as const;
  /** The etcd connection (closed by {@link close}). */
  readonly connection: EtcdConnection;
  /** The key layout. */
  readonly layout: Layout;
  /** This server's id in commit markers and the outbox. */
  readonly serverId = randomBytes(6).toString("hex");
  private readonly reads: ReadConsistency;
  private readonly random: () => number;
  private readonly counters: ViewCounters & {
    dirty: number;
    expired: number;
    conflicts: number;
    ambiguous: number;
    blindFallbacks: number;
  } = {
    hits: 0,
    misses: 0,
    dirty: 0,
    expired: 0,
    conflicts: 0,
    ambiguous: 0,
    blindFallbacks: 0,
  };
  /** Stored keys and keys with a TTL at the last count (DBSIZE, or the server's periodic refresh). */
  private lastCount = 0;
  private lastWithTtl = 0;
  private markerSeq = 0;
  private lease: Lease | undefined;
  private leaseId: Promise<string> | undefined;
  /** The TTL-tag lease's id (read from, or created at, `layout.ttlLease`). */
  private ttlLeaseId: Promise<string> | undefined;
  private host: EtcdRepositoryHost | undefined;
  private watcher: Watcher | undefined;
  /** The fetched keys of the attempt running now (WATCH handles read it; attempts run synchronously). */
  private current: { view: StagedView } | undefined;
  /**
   * Recently used keys' values and mod_revisions: the CAS base of writes (a stale entry only
   * fails the compare, whose else-branch brings the fresh value). Never used to answer a read.
   */
  private readonly cache = new Map<Bytes, FetchedKey>();
  private readonly cacheKeys: number;
  private readonly keyspaceTxnKeys: number;
  /** Fetches asked for in this turn, sent together by {@link flushFetches}: linearizable, and serializable. */
  private pendingFetches: PendingFetch[] | undefined;
  private pendingBaseFetches: PendingFetch[] | undefined;
  /** Commits made in this turn, sent together by {@link flushCommits}. */
  private pendingCommits: PendingCommit[] | undefined;
  private closed = false;
  /** mod_revision of the last outbox record the watch delivered, and who waits for one. */
  private outboxRevision = 0n;
  private outboxWaiters: { revision: bigint; resolve(): void }[] = [];

  constructor(options: EtcdRepositoryOptions) {
    this.connection = new EtcdConnection(options);
    this.layout = new Layout(options.prefix ?? "memorabilia/0/");
    this.reads = options.reads ?? "linearizable";
    this.random = options.random ?? Math.random;
    this.cacheKeys = options.cacheKeys ?? 0;
    this.keyspaceTxnKeys = options.keyspaceTxnKeys ?? MAX_KEYSPACE_TXN_KEYS;
  }

  /** The etcd3 client: Watch, leases, elections. */
  get client() {
    return this.connection.client;
  }

  /** The KV client: Range and Txn. */
  get kv() {
    return this.connection.kv;
  }

  /**
   * The seam's `attach`: the store lends its event bus, into which {@link startEvents} emits every
   * server's committed events. Synchronous and idempotent (a store calls it from its constructor).
   */
  attach(host: EtcdRepositoryHost): void {
    this.host = host;
  }

  /**
   * Starts the outbox watch: every server's commits (this one's included) are emitted into the
   * attached event bus in etcd's revision order. Resolves once the watch is established; rejects
   * with UNAVAILABLE when etcd cannot be reached within the retry budget.
   */
  async startEvents(): Promise<void> {
    if (this.watcher !== undefined) return;
    await this.startOutboxWatch();
  }

  private async startOutboxWatch(): Promise<void> {
    const start = await this.connection.call((o) => this.kv.range({ key: this.layout.outbox }, o));
    const from = (BigInt(int64String(start.header.revision)) + 1n).toString();
    const watcher = await this.client.watch().key(this.layout.outbox).startRevision(from).create();
    watcher.on("put", (kv) => this.emitOutbox(kv));
    watcher.on("error", () => {
      /* etcd3 reconnects the stream from the last revision it saw */
    });
    this.watcher = watcher;
  }

  /**
   * Resolves once every commit made before this call has reached the attached event bus (the
   * outbox watch caught up with etcd's current outbox revision). For tests and orderly handovers.
   */
  async eventsCaughtUp(): Promise<void> {
    const res = await this.connection.call((o) => this.kv.range({ key: this.layout.outbox }, o));
    const target = BigInt(int64String(res.kvs[0]?.mod_revision));
    if (this.outboxRevision >= target) return;
    await new Promise<void>((resolve) => this.outboxWaiters.push({ revision: target, resolve }));
  }

  private emitOutbox(kv: WatchedKeyValue): void {
    this.outboxRevision = BigInt(kv.mod_revision);
    if (this.outboxWaiters.length !== 0) {
      const ready = this.outboxWaiters.filter((w) => w.revision <= this.outboxRevision);
      this.outboxWaiters = this.outboxWaiters.filter((w) => w.revision > this.outboxRevision);
      // After this record's events are emitted (below), in the same turn.
      queueMicrotask(() => {
        for (const w of ready) w.resolve();
      });
    }
    const bus = this.host?.events;
    const listening = bus?.listening === true;
    // Nobody to tell and no cache to invalidate: the record is not decoded (a 100-key MSET's own
    // record cost its server 3% of its CPU to decode for nothing).
    if (!listening && this.cache.size === 0) return;
    const decoded = decodeEvents(kv.value);
    if (decoded === undefined) return;
    // Another server's change makes this server's cached revision stale (its own are already current).
    if (decoded.server !== this.serverId) for (const e of decoded.events) this.cache.delete(e.key);
    if (bus === undefined || !listening) return;
    for (const e of decoded.events) bus.emit(e);
  }

  // ---- fetching ---------------------------------------------------------------------------

  private range(key: Buffer, end?: Buffer, extra: Partial<RangeRequest> = {}): RequestOp {
    return {
      request_range: { key, range_end: end, serializable: this.reads === "serializable", ...extra },
    };
  }

  /**
   * The CAS base of a call that may write: `keys` from the revision cache where present, the rest
   * read serializably (from the member this server talks to, no quorum round: 0.3-0.6 ms less per
   * write on the test cluster). `unconfirmed`: the base may be stale; the commit's compare catches
   * that for a write, and a call that ends without writing, or with an error, reads again
   * linearizably and re-runs before it answers.
   */
  private async fetchBase(keys: readonly Bytes[]): Promise<{ fetched: Map<Bytes, FetchedKey>; unconfirmed: boolean }> {
    const fetched = new Map<Bytes, FetchedKey>();
    if (this.cacheKeys !== 0)
      for (const k of keys) {
        const hit = this.cache.get(k);
        if (hit !== undefined) fetched.set(k, hit);
      }
    if (fetched.size !== keys.length) await this.fetch(keys, fetched, true);
    return { fetched, unconfirmed: keys.length !== 0 && this.reads !== "serializable" };
  }

  /** Remembers `key`'s value and revision (oldest entries go past the bound). */
  private remember(key: Bytes, f: FetchedKey): void {
    if (this.cacheKeys === 0) return;
    this.cache.delete(key);
    // Large values are not kept: the cache stays within cacheKeys x 16 KiB.
    if (f.raw !== undefined && f.raw.length > CACHE_VALUE_BYTES) return;
    this.cache.set(key, f);
    if (this.cache.size > this.cacheKeys) this.cache.delete(this.cache.keys().next().value as Bytes);
  }

  /**
   * Fetches `keys` at one revision: their envelopes and mod_revisions. Fetches asked for in the
   * same turn (a Batch's commands, concurrent calls) share one etcd request: each caller's keys
   * are still read at one revision (one txn), whatever the others asked for.
   */
  private async fetch(
    keys: readonly Bytes[],
    into = new Map<Bytes, FetchedKey>(),
    base = false,
  ): Promise<Map<Bytes, FetchedKey>> {
    const todo = keys.filter((k) => !into.has(k));
    if (todo.length === 0) return into;
    const serializable = base || this.reads === "serializable";
    const got = await new Promise<Map<Bytes, FetchedKey>>((resolve, reject) => {
      let pending = serializable ? this.pendingBaseFetches : this.pendingFetches;
      if (pending === undefined) {
        pending = [];
        if (serializable) this.pendingBaseFetches = pending;
        else this.pendingFetches = pending;
        setImmediate(() => this.flushFetches(serializable));
      }
      pending.push({ keys: todo, resolve, reject });
    });
    for (const k of todo) into.set(k, got.get(k) as FetchedKey);
    return into;
  }

  /** Sends the fetches of one turn, packed into as few txns as etcd's op limit allows. */
  private flushFetches(serializable: boolean): void {
    const requests = (serializable ? this.pendingBaseFetches : this.pendingFetches) ?? [];
    if (serializable) this.pendingBaseFetches = undefined;
    else this.pendingFetches = undefined;
    let chunk: PendingFetch[] = [];
    let size = 0;
    const send = (group: PendingFetch[]) => {
      const keys = [...new Set(group.flatMap((r) => r.keys))];
      this.fetchNow(keys, serializable).then(
        (got) => {
          for (const r of group) r.resolve(got);
        },
        (error: unknown) => {
          for (const r of group) r.reject(error);
        },
      );
    };
    for (const r of requests) {
      if (size !== 0 && size + r.keys.length > FETCH_OPS) {
        send(chunk);
        chunk = [];
        size = 0;
      }
      chunk.push(r);
      size += r.keys.length;
    }
    if (chunk.length !== 0) send(chunk);
  }

  /** One read of `keys` at one revision. */
  private async fetchNow(keys: readonly Bytes[], serializable: boolean): Promise<Map<Bytes, FetchedKey>> {
    const out = new Map<Bytes, FetchedKey>();
    const dataKeys = keys.map((k) => this.layout.dataKey(k));
    if (keys.length === 1) {
      const res = await this.connection.call((o) => this.kv.range({ key: dataKeys[0] as Buffer, serializable }, o));
      out.set(keys[0] as Bytes, fetchedOf(res.kvs[0]));
      this.remember(keys[0] as Bytes, out.get(keys[0] as Bytes) as FetchedKey);
      return out;
    }
    const res = await this.connection.call((o) =>
      this.kv.txn({ success: dataKeys.map((k) => this.range(k, undefined, { serializable })) }, o),
    );
    keys.forEach((k, i) => {
      const f = fetchedOf(res.responses[i]?.response_range.kvs[0]);
      out.set(k, f);
      this.remember(k, f);
    });
    return out;
  }

  // ---- atomic -----------------------------------------------------------------------------

  atomic<T>(keys: readonly Bytes[] | null, nowMs: number, fn: (view: KeyView) => T, intent?: AtomicIntent): Promise<T> {
    return this.run(keys ?? [], nowMs, fn, intent?.readOnly === false, intent?.blind === true);
  }

  private async run<T>(
    keys: readonly Bytes[],
    nowMs: number,
    fn: (view: StagedView) => T,
    mayWrite: boolean,
    blindIntent = false,
  ): Promise<T> {
    if (this.closed) throw toStoreError(new Error("closed"));
    // A blind write (nothing it replies or writes depends on its keys) reads nothing, and its
    // commit compares nothing per key (an index entry it leaves stale is the sweeper's). A call that may write starts from a cheap base (cache,
    // serializable read: see fetchBase); a read-only call reads linearizably (or as --etcd-reads
    // says), and is answered from that.
    let fetched: Map<Bytes, FetchedKey>;
    let cached = false;
    let blind = blindIntent && keys.length !== 0;
    if (blind) {
      fetched = new Map();
      for (const k of keys) fetched.set(k, BLIND);
    } else if (mayWrite) ({ fetched, unconfirmed: cached } = await this.fetchBase(keys));
    else fetched = await this.fetch(keys);
    const answers: RemoteAnswers = new Map();
    let steps = 0;
    // Conflicts retry MAX_ATTEMPTS times, and on for CONFLICT_BUDGET_MS from the first conflict
    // (see the pause below): the clock is read only once a command has conflicted.
    let conflictsUntil = 0;
    let attempt = 0;
    while (attempt < MAX_ATTEMPTS || Date.now() < conflictsUntil) {
      const view = new StagedView(fetched, nowMs, answers, this.counters);
      let result: T;
      this.current = { view };
      try {
        result = fn(view);
      } catch (error) {
        if (blind && (error === NEEDS_BASE || error instanceof NeedsRemote)) {
          // The command needs what a blind attempt did not read after all: read it, run again.
          blind = false;
          ({ fetched, unconfirmed: cached } = await this.fetchBase(keys));
          continue;
        }
        if (!(error instanceof NeedsRemote)) {
          // An error from an unconfirmed base (WRONGTYPE from a stale cached type…) is no answer.
          if (!cached) throw error;
          fetched = await this.fetch(keys);
          cached = false;
          continue;
        }
        if (++steps > MAX_REMOTE_STEPS)
          throw new StoreError("ERR", "ERR command needs too many remote reads on the etcd engine");
        await this.answer(error.op, nowMs, fetched, answers, cached);
        continue;
      } finally {
        this.current = undefined;
      }
      if (!view.hasWrites) {
        // An answer without a commit must come from a linearizable read: read, then run again.
        if (!cached) return result;
        fetched = await this.fetch(keys);
        cached = false;
        continue;
      }
      const outcome = await this.commit(view);
      if (outcome === true) return result;
      // Conflict (or a blind write over a key with a deadline): the else-branch's fresh values
      // replace the stale or unread ones; run again.
      if (blind) {
        // A key it overwrites has a deadline: read the keys (the commit did not), run as a CAS write.
        this.counters.blindFallbacks++;
        fetched = await this.fetch(keys);
      } else {
        this.counters.conflicts++;
        fetched = outcome;
      }
      blind = false;
      cached = false;
      if (attempt++ === 0) conflictsUntil = Date.now() + CONFLICT_BUDGET_MS;
      // Repeated conflicts: another server writes the key back to back, and its cycle (a read
      // from its member, a commit) can be shorter than this server's one retry (a commit through
      // a follower): immediate retries then all lose until its queue drains (seen: 16 retries
      // exhausted by 40 + 40, and by 150 + 150, concurrent INCRs on one key from two servers).
      // So retries go on for a time budget, with a short random pause past the first few.
      if (attempt >= 4) await new Promise((r) => setTimeout(r, this.random() * Math.min(20, 2 ** (attempt - 2))));
    }
    throw new StoreError(
      "ABORTED",
      `ERR too many conflicting writes on these keys (${attempt} attempts in ${CONFLICT_BUDGET_MS} ms), try again`,
    );
  }

  /** Performs a remote op a command asked for, and remembers the answer for its re-run. */
  private async answer(
    op: RemoteOp,
    nowMs: number,
    fetched: Map<Bytes, FetchedKey>,
    answers: RemoteAnswers,
    base: boolean,
  ): Promise<void> {
    switch (op.kind) {
      case "keys":
        await this.fetch(op.keys, fetched, base);
        return;
      case "size":
        answers.set(remoteKey(op), await this.countKeys(nowMs));
        return;
      case "scan":
        answers.set(remoteKey(op), await this.scanKeys(op.cursor, op.count, op.filter, nowMs));
        return;
      case "random":
        answers.set(remoteKey(op), await this.randomKey(nowMs));
        return;
      case "flush":
        answers.set(remoteKey(op), await this.flushKeys(nowMs));
        return;
    }
  }

  /** The marker lease's id (granted on first use, again after it was lost). */
  private markerLease(): Promise<string> {
    if (this.leaseId === undefined) {
      const lease = this.client.lease(60, { autoKeepAlive: true });
      this.lease = lease;
      lease.on("lost", () => {
        if (this.lease === lease) {
          this.lease = undefined;
          this.leaseId = undefined;
        }
      });
      const id = this.connection.call(() => lease.grant(), "sequential");
      this.leaseId = id;
      id.catch(() => {
        if (this.leaseId === id) this.leaseId = undefined;
      });
    }
    return this.leaseId;
  }

  /**
   * The TTL-tag lease's id (see {@link resolveTtlTagLease}), looked up once and kept; looked up
   * again when `stale` (an id etcd refused) is given, and replaced if the key still names it.
   */
  private ttlTagLease(stale?: string): Promise<string> {
    if (this.ttlLeaseId === undefined || stale !== undefined) {
      const id = this.resolveTtlTagLease(stale);
      this.ttlLeaseId = id;
      id.catch(() => {
        if (this.ttlLeaseId === id) this.ttlLeaseId = undefined;
      });
    }
    return this.ttlLeaseId;
  }

  /**
   * The keyspace's TTL-tag lease: every key with a deadline is attached to it. Blind writes
   * compared "lease == 0" until the sweeper learnt to read before deleting (sweeper.ts); nothing
   * compares it now, and dropping it is a follow-up (one lease attach per key with a deadline). It only tags: its TTL is
   * etcd's near-maximum, it is never kept alive and never revoked (revoking it would delete every
   * key with a deadline). Its id lives at `layout.ttlLease`; the first server to need it creates
   * it (a compare-and-put: a server that loses the race revokes its own and uses the winner's).
   * `stale`: an id a put was refused for (lease not found): replaced if the key still names it.
   */
  private async resolveTtlTagLease(stale?: string): Promise<string> {
    const key = this.layout.ttlLease;
    const res = await this.connection.call((o) => this.kv.range({ key }, o));
    const current = res.kvs[0]?.value.toString("latin1");
    if (current !== undefined && current !== stale) return current;
    const lease = this.client.lease(TTL_TAG_LEASE_S, { autoKeepAlive: false });
    const id = await this.connection.call(() => lease.grant(), "sequential");
    lease.release();
    const cas = await this.connection.call(
      (o) =>
        this.kv.txn(
          {
            compare: [
              current === undefined
                ? { key, target: CompareTarget.CREATE, result: CompareResult.EQUAL, create_revision: 0 }
                : {
                    key,
                    target: CompareTarget.VALUE,
                    result: CompareResult.EQUAL,
                    value: Buffer.from(current, "latin1"),
                  },
            ],
            success: [{ request_put: { key, value: Buffer.from(id, "latin1") } }],
            failure: [{ request_range: { key } }],
          },
          o,
        ),
      // Sent again after an unknown outcome, the compare fails and the else-branch shows our id.
      "idempotent",
    );
    if (cas.succeeded) return id;
    const winner = cas.responses[0]?.response_range.kvs[0]?.value.toString("latin1");
    if (winner === id) return id;
    await lease.revoke().catch(() => {}); // lost the race: ours tags nothing yet
    if (winner === undefined) return this.resolveTtlTagLease();
    return winner;
  }

  /**
   * Commits a view's writes in one transaction. Resolves true when committed (by this call or by
   * an earlier send of the same transaction whose reply was lost), or with the fresh fetched state
   * when the compare failed because another writer got there first.
   */
  private async commit(view: StagedView, fence?: string): Promise<true | Map<Bytes, FetchedKey>> {
    const part = await this.commitPart(view, fence);
    // A whole-keyspace attempt is sent alone; any other joins the commits of this turn.
    if (fence !== undefined) return this.sendCommit([part]).then((o) => (o as CommitOutcome[])[0] as CommitOutcome);
    return new Promise<CommitOutcome>((resolve, reject) => {
      let pending = this.pendingCommits;
      if (pending === undefined) {
        pending = [];
        this.pendingCommits = pending;
        setImmediate(() => this.flushCommits());
      }
      pending.push({ part, resolve, reject });
    });
  }

  /**
   * One command's share of a commit transaction (see {@link sendCommit}): the compares of every
   * key it read (revision) or overwrote blind (no lease), its writes and index entries, and the
   * keys its else-branch ranges, in order.
   */
  private async commitPart(view: StagedView, fence?: string): Promise<CommitPart> {
    // A whole-keyspace attempt compares the fence (the outbox key: every change of the keyspace
    // puts it) instead of every key: nothing changed since its snapshot, appearing keys included.
    const reads = fence === undefined ? view.reads() : [];
    const dataKeys = new Map<Bytes, Buffer>();
    const dataKey = (key: Bytes): Buffer => {
      let k = dataKeys.get(key);
      if (k === undefined) {
        k = this.layout.dataKey(key);
        dataKeys.set(key, k);
      }
      return k;
    };
    const compare: Compare[] = [];
    const ranged: Bytes[] = [];
    for (const [key, f] of reads) {
      compare.push({ key: dataKey(key), target: CompareTarget.MOD, result: CompareResult.EQUAL, mod_revision: f.mod });
      ranged.push(key);
    }
    // A key overwritten without being read (blind) is compared with nothing: if it had a
    // deadline, its index entry stays behind, stale. The sweeper reads a due entry's key before it
    // deletes anything and drops a stale entry alone (sweeper.ts), so no write can be lost at the
    // old deadline; DBSIZE reads due entries' keys too (countKeys).
    if (fence !== undefined)
      compare.push({
        key: this.layout.outbox,
        target: CompareTarget.MOD,
        result: CompareResult.EQUAL,
        mod_revision: fence,
      });
    const success: RequestOp[] = [];
    const written: [Bytes, Buffer | undefined][] = [];
    const writes = view.writes();
    let ttlLease: string | undefined;
    for (const w of writes)
      if (w.value !== undefined && w.atMs !== undefined) {
        ttlLease = await this.ttlTagLease();
        break;
      }
    for (const w of writes) {
      if (w.value !== undefined) {
        const envelope = encodeEnvelope(w.value, w.atMs);
        written.push([w.key, envelope]);
        // The TTL tag: a key with a deadline is attached to the tag lease, any other to none.
        if (w.atMs === undefined) success.push({ request_put: { key: dataKey(w.key), value: envelope } });
        else success.push({ request_put: { key: dataKey(w.key), value: envelope, lease: ttlLease } });
      } else if (w.blind || w.fetched.raw !== undefined) {
        written.push([w.key, undefined]);
        success.push({ request_delete_range: { key: dataKey(w.key) } });
      }
      const newAt = w.value === undefined ? undefined : w.atMs;
      if (w.origAtMs !== newAt) {
        if (w.origAtMs !== undefined)
          success.push({ request_delete_range: { key: this.layout.indexKey(w.key, w.origAtMs) } });
        if (newAt !== undefined)
          success.push({ request_put: { key: this.layout.indexKey(w.key, newAt), value: Buffer.alloc(0) } });
      }
    }
    const failure = ranged.map((key) => this.range(dataKey(key)));
    let bytes = 0;
    for (const op of success) bytes += (op.request_put?.value.length ?? 0) + 64;
    return {
      compare,
      success,
      failure,
      ranged,
      written,
      events: view.events,
      ttlLease,
      bytes,
      keys: [...dataKeys.keys()],
    };
  }

  /**
   * Sends the commits of one turn: commits on disjoint keys share one transaction while it stays
   * within etcd's default op limit and well under its request size (a Batch of blind SETs is one
   * etcd round trip). A shared transaction is all-or-nothing under one marker; when its compare
   * fails, each commit is sent again on its own (then each learns its own outcome). Same-key
   * commands of one server never meet here: the store's key locks serialize them.
   */
  private flushCommits(): void {
    const pending = this.pendingCommits ?? [];
    this.pendingCommits = undefined;
    let group: PendingCommit[] = [];
    let ops = 0;
    let bytes = 0;
    const keys = new Set<Bytes>();
    const send = (g: PendingCommit[]) => {
      this.sendGroup(g).catch(() => {});
    };
    for (const c of pending) {
      const size = Math.max(c.part.compare.length, c.part.success.length, c.part.failure.length);
      const clash = c.part.keys.some((k) => keys.has(k));
      if (group.length !== 0 && (clash || ops + size + 2 > COMMIT_OPS || bytes + c.part.bytes > COMMIT_BYTES)) {
        send(group);
        group = [];
        ops = 0;
        bytes = 0;
        keys.clear();
      }
      group.push(c);
      ops += size;
      bytes += c.part.bytes;
      for (const k of c.part.keys) keys.add(k);
    }
    if (group.length !== 0) send(group);
  }

  private async sendGroup(group: PendingCommit[]): Promise<void> {
    const progress = { sent: false };
    try {
      const outcomes = await this.sendCommit(
        group.map((c) => c.part),
        progress,
      );
      if (outcomes !== undefined) {
        for (let i = 0; i < group.length; i++) (group[i] as PendingCommit).resolve(outcomes[i] as CommitOutcome);
        return;
      }
    } catch (error) {
      // After a send whose outcome is unknown, the shared transaction may have applied: sending
      // its parts again under new markers could apply them twice, so they all fail as one
      // (UNAVAILABLE, as a lone commit would).
      if (group.length === 1 || progress.sent) {
        for (const c of group) c.reject(error);
        return;
      }
      // Refused on its first send (nothing applied: a value over the limit…): each alone, so one
      // command's refusal is not every command's.
    }
    // The shared transaction's compare failed and it had not applied: each commit on its own.
    await Promise.all(
      group.map((c) =>
        this.sendCommit([c.part]).then(
          (o) => c.resolve((o as CommitOutcome[])[0] as CommitOutcome),
          (e: unknown) => c.reject(e),
        ),
      ),
    );
  }

  /**
   * Commits `parts` in ONE transaction: their compares plus a fresh marker's absence; their
   * writes, one outbox record with all their events, and the marker; else-branch: ranges of their
   * keys and the marker. Resolves with each part's outcome: true when committed (by this call or
   * by an earlier send whose reply was lost: the marker exists), the fresh values of its keys when
   * a single part's compare failed, or undefined when a shared transaction's compare failed.
   */
  private async sendCommit(
    parts: readonly CommitPart[],
    progress: { sent: boolean } = { sent: false },
  ): Promise<CommitOutcome[] | undefined> {
    const leaseId = await this.markerLease();
    const marker = this.layout.markerKey(this.serverId, ++this.markerSeq);
    const compare: Compare[] = [];
    const success: RequestOp[] = [];
    const failure: RequestOp[] = [];
    const events: KeyspaceEvent[] = [];
    for (const p of parts) {
      for (const c of p.compare) compare.push(c);
      for (const op of p.success) success.push(op);
      for (const op of p.failure) failure.push(op);
      for (const e of p.events) events.push(e);
    }
    compare.push({ key: marker, target: CompareTarget.CREATE, result: CompareResult.EQUAL, create_revision: 0 });
    // Every change of the keyspace puts the outbox (events or none): it is the fence that
    // whole-keyspace transactions compare (atomicKeyspace).
    success.push({ request_put: { key: this.layout.outbox, value: encodeEvents(this.serverId, events) } });
    success.push({ request_put: { key: marker, value: Buffer.alloc(0), lease: leaseId } });
    failure.push(this.range(marker));
    const txn = { compare, success, failure };
    const until = Date.now() + this.connection.retryBudgetMs;
    let delay = RETRY_FIRST_MS;
    let sent = false;
    for (;;) {
      try {
        // Sent again while unanswered during an election (hedged): the marker makes that safe.
        const res = await this.connection.hedged((o) => this.kv.txn(txn, o), until);
        if (res.succeeded) {
          this.counters.dirty += success.length;
          for (const e of events) if (e.class === "expired") this.counters.expired++;
          // The commit's revision is every written key's mod_revision now.
          const mod = this.cacheKeys === 0 ? ZERO : int64String(res.header.revision);
          for (const p of parts)
            for (const [key, raw] of p.written) this.remember(key, { raw, mod: raw === undefined ? ZERO : mod });
          return parts.map(() => true);
        }
        if (res.responses[failure.length - 1]?.response_range.kvs[0] !== undefined) {
          // An earlier send of this transaction applied (its revision is unknown here).
          for (const e of events) if (e.class === "expired") this.counters.expired++;
          for (const p of parts) for (const [key] of p.written) this.cache.delete(key);
          return parts.map(() => true);
        }
        if (parts.length !== 1) return undefined;
        const part = parts[0] as CommitPart;
        const fresh = new Map<Bytes, FetchedKey>();
        part.ranged.forEach((key, i) => {
          const f = fetchedOf(res.responses[i]?.response_range.kvs[0]);
          fresh.set(key, f);
          this.remember(key, f);
        });
        return [fresh];
      } catch (error) {
        if (/lease not found/i.test(String((error as Error)?.message))) {
          // The marker lease expired (etcd unreachable for a minute), or the TTL-tag lease was
          // revoked by hand: nothing applied; new leases (the tag's replaced if it was this one).
          this.leaseId = undefined;
          if (!sent) {
            const tags = new Set(parts.map((p) => p.ttlLease).filter((t) => t !== undefined));
            for (const tag of tags) void this.ttlTagLease(tag);
            if (tags.size !== 0) {
              const tag = await this.ttlTagLease();
              for (const op of success)
                if (op.request_put?.lease !== undefined && tags.has(String(op.request_put.lease)))
                  op.request_put.lease = tag;
            }
            return this.sendCommit(parts, progress);
          }
        }
        if (!isTransient(error) || Date.now() + delay > until) throw toStoreError(error);
        sent = true;
        progress.sent = true;
        this.counters.ambiguous++;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  // ---- whole-keyspace transactions --------------------------------------------------------

  /**
   * The seam's `atomicKeyspace` (a MULTI with KEYS/SCAN/DBSIZE/RANDOMKEY/FLUSHALL): every stored
   * key and the fence are read at one revision ({@link MAX_KEYSPACE_TXN_KEYS} keys at most), `fn`
   * runs on a view of all of them that answers the whole-keyspace reads itself (seeing its own
   * writes), and the writes commit in one transaction that compares the fence: it fails when
   * anything in the keyspace changed since the snapshot (every writer puts the fence), and the
   * attempt runs again on a fresh snapshot, up to {@link MAX_ATTEMPTS}. Read-only: the snapshot is
   * the answer (one revision: serializable with every commit).
   */
  async atomicKeyspace<T>(nowMs: number, fn: (view: KeyspaceView) => T): Promise<T> {
    if (this.closed) throw toStoreError(new Error("closed"));
    const whole = {
      hashOf: (key: Bytes) => this.layout.hashOf(this.layout.dataKey(key)),
      random: this.random,
    };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const snapshot = await this.snapshot();
      const view = new StagedView(snapshot.fetched, nowMs, new Map(), this.counters, whole);
      let result: T;
      this.current = { view };
      try {
        result = fn(view);
      } finally {
        this.current = undefined;
      }
      if (!view.hasWrites) return result;
      if ((await this.commit(view, snapshot.fence)) === true) return result;
      this.counters.conflicts++;
    }
    throw new StoreError(
      "ABORTED",
      `ERR too many conflicting writes on these keys (${MAX_ATTEMPTS} attempts), try again`,
    );
  }

  /** Every stored key and the fence's mod_revision, at one revision (see {@link atomicKeyspace}). */
  private async snapshot(): Promise<{ fetched: Map<Bytes, FetchedKey>; fence: string }> {
    const res = await this.connection
      .call((o) =>
        this.kv.txn(
          {
            success: [
              this.range(this.layout.data, prefixEnd(this.layout.data), { limit: this.keyspaceTxnKeys + 1 }),
              this.range(this.layout.outbox, undefined, { keys_only: true }),
            ],
          },
          o,
        ),
      )
      .catch((error: unknown) => {
        if (error instanceof StoreError && error.code === "LIMIT")
          throw tooLargeForKeyspaceTxn(this.keyspaceTxnKeys, error);
        throw error;
      });
    const kvs = res.responses[0]?.response_range.kvs ?? [];
    if (kvs.length > this.keyspaceTxnKeys) throw tooLargeForKeyspaceTxn(this.keyspaceTxnKeys);
    const fetched = new Map<Bytes, FetchedKey>();
    for (const kv of kvs) fetched.set(this.layout.keyOf(kv.key), { raw: kv.value, mod: int64String(kv.mod_revision) });
    const fence = int64String(res.responses[1]?.response_range.kvs[0]?.mod_revision);
    return { fetched, fence };
  }

  // ---- WATCH ------------------------------------------------------------------------------

  async watch(keys: readonly Bytes[], nowMs: number): Promise<WatchHandle> {
    const fetched = await this.fetch(keys);
    const seen = new Map<Bytes, { mod: string; live: boolean }>();
    for (const key of keys) {
      const f = fetched.get(key) as FetchedKey;
      const at = f.raw === undefined ? undefined : envelopeDeadline(f.raw);
      seen.set(key, { mod: f.mod, live: f.raw !== undefined && (at === undefined || !(nowMs > at)) });
    }
    return {
      keys: [...keys],
      changed: () => {
        const attempt = this.current;
        if (attempt === undefined) throw new StoreError("ERR", "ERR WATCH handle checked outside a transaction");
        for (const [key, s] of seen) {
          // Throws NeedsRemote when the transaction did not fetch the key: fetched, compared, re-run.
          const now = attempt.view.fetchedOf(key);
          if (now.mod !== s.mod) return true;
          // A key live at WATCH that is due now was modified (expired), as in Redis 7.
          if (s.live && !attempt.view.liveInStore(key)) return true;
        }
        return false;
      },
      release: () => {},
    } as WatchHandle;
  }

  // ---- whole keyspace ---------------------------------------------------------------------

  /**
   * DBSIZE: data keys minus the due keys not yet swept, exact at one revision. A due index entry
   * counts only when its key still has that deadline: a blind write may have left a stale entry
   * (commitPart), so with due entries present they and their keys are read (at the same revision).
   */
  async countKeys(nowMs: number): Promise<number> {
    const res = await this.connection.call((o) =>
      this.kv.txn(
        {
          success: [
            this.range(this.layout.data, prefixEnd(this.layout.data), { count_only: true }),
            this.range(this.layout.index, this.layout.indexDueEnd(nowMs), { count_only: true }),
            this.range(this.layout.index, prefixEnd(this.layout.index), { count_only: true }),
          ],
        },
        o,
      ),
    );
    const keys = int64Number(res.responses[0]?.response_range.count);
    let due = int64Number(res.responses[1]?.response_range.count);
    this.lastCount = keys;
    this.lastWithTtl = int64Number(res.responses[2]?.response_range.count);
    if (due !== 0) due = await this.countDue(nowMs, res.header.revision);
    return Math.max(0, keys - due);
  }

  /** The due index entries at `revision` whose keys still have their deadline (see countKeys). */
  private async countDue(nowMs: number, revision: Int64): Promise<number> {
    const end = this.layout.indexDueEnd(nowMs);
    let from: Buffer = this.layout.index;
    let due = 0;
    for (;;) {
      const page = await this.connection.call((o) =>
        this.kv.range({ key: from, range_end: end, revision, keys_only: true, limit: FETCH_OPS }, o),
      );
      if (page.kvs.length === 0) return due;
      const entries = page.kvs.map((kv) => this.layout.parseIndexKey(kv.key));
      const keys = await this.connection.call((o) =>
        this.kv.txn(
          {
            success: entries.map(({ key }) => ({ request_range: { key: this.layout.dataKey(key), revision } })),
          },
          o,
        ),
      );
      entries.forEach(({ atMs }, i) => {
        const kv = keys.responses[i]?.response_range.kvs[0];
        const at = kv === undefined ? undefined : envelopeDeadline(kv.value);
        if (at !== undefined && Math.trunc(at) === atMs) due++;
      });
      if (!page.more) return due;
      from = Buffer.concat([(page.kvs.at(-1) as KeyValue).key, Buffer.from([0])]);
    }
  }

  /**
   * One SCAN page: keys from hash `cursor` on, `count` at most (whole hash groups), filtered. The
   * cursor is the next key's 64-bit hash in decimal: stateless, valid on any server.
   */
  async scanKeys(cursor: string, count: number, filter: ScanFilter, nowMs: number): Promise<ScanPage> {
    let from: bigint;
    try {
      from = BigInt(cursor);
      if (from < 0n || from >= 1n << 64n) throw new RangeError();
    } catch {
      throw new StoreError("INVALID_CURSOR");
    }
    const end = prefixEnd(this.layout.data);
    const keys: Bytes[] = [];
    let revision: string | undefined;
    let examined = 0;
    const want = Math.max(1, count);
    for (;;) {
      const limit = Math.min(want - examined, PAGE) + 1;
      const start = this.layout.dataFrom(from);
      const res = await this.connection.call((o) =>
        this.kv.range({ key: start, range_end: end, limit, revision, serializable: this.reads === "serializable" }, o),
      );
      revision ??= int64String(res.header.revision);
      let kvs = res.kvs;
      let next: bigint | undefined;
      if (kvs.length === limit) {
        // A page ends at a hash boundary: drop the trailing keys that share the next key's hash.
        next = this.layout.hashOf((kvs[limit - 1] as KeyValue).key);
        kvs = kvs.slice(0, limit - 1).filter((kv) => this.layout.hashOf(kv.key) !== next);
        if (kvs.length === 0) {
          // Every key of the page shares one hash (a 64-bit collision run): take the whole group.
          const group = this.layout.dataFrom(next as bigint);
          const g = await this.connection.call((o) =>
            this.kv.range({ key: group, range_end: this.layout.dataFrom((next as bigint) + 1n), revision }, o),
          );
          kvs = g.kvs;
          next = (next as bigint) + 1n >= 1n << 64n ? undefined : (next as bigint) + 1n;
        }
      }
      for (const kv of kvs) {
        examined++;
        const key = this.layout.keyOf(kv.key);
        if (!liveAt(kv.value, nowMs)) continue;
        if (filter.type !== undefined && TYPE_NAMES[envelopeType(kv.value)] !== filter.type) continue;
        if (filter.match !== undefined && !globMatch(filter.match, key)) continue;
        keys.push(key);
      }
      if (next === undefined) return { cursor: "0", keys };
      from = next;
      if (examined >= want) return { cursor: next.toString(), keys };
    }
  }

  /** Every live key matching `filter`, in pages, all read at one revision (KEYS: a snapshot). */
  async *listKeys(filter: ScanFilter, pageSize: number, nowMs: number): AsyncIterable<readonly Bytes[]> {
    const end = prefixEnd(this.layout.data);
    let start: Buffer = this.layout.data;
    let revision: string | undefined;
    const limit = Math.max(1, Math.min(pageSize, 10_000));
    for (;;) {
      const from = start;
      const res = await this.connection.call((o) =>
        this.kv.range({ key: from, range_end: end, limit, revision, serializable: this.reads === "serializable" }, o),
      );
      revision ??= int64String(res.header.revision);
      const page: Bytes[] = [];
      for (const kv of res.kvs) {
        const key = this.layout.keyOf(kv.key);
        if (!liveAt(kv.value, nowMs)) continue;
        if (filter.type !== undefined && TYPE_NAMES[envelopeType(kv.value)] !== filter.type) continue;
        if (filter.match !== undefined && !globMatch(filter.match, key)) continue;
        page.push(key);
      }
      if (page.length !== 0) yield page;
      if (!res.more || res.kvs.length === 0) return;
      start = Buffer.concat([(res.kvs[res.kvs.length - 1] as KeyValue).key, Buffer.from([0])]);
    }
  }

  /** RANDOMKEY: the first live key at or after a random hash (wrapping around): near-uniform. */
  async randomKey(nowMs: number): Promise<Bytes | undefined> {
    const end = prefixEnd(this.layout.data);
    for (let tries = 0; tries < 8; tries++) {
      const h = BigInt(Math.floor(this.random() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(this.random() * 2 ** 32));
      const start = this.layout.dataFrom(h);
      const res = await this.connection.call((o) =>
        this.kv.txn(
          {
            success: [this.range(start, end, { limit: 16 }), this.range(this.layout.data, start, { limit: 16 })],
          },
          o,
        ),
      );
      const kvs = [...(res.responses[0]?.response_range.kvs ?? []), ...(res.responses[1]?.response_range.kvs ?? [])];
      if (kvs.length === 0) return undefined;
      const live = kvs.find((kv) => liveAt(kv.value, nowMs));
      if (live !== undefined) return this.layout.keyOf(live.key);
    }
    // Mostly due keys around every probe: walk the keyspace for any live one.
    for await (const page of this.listKeys({}, PAGE, nowMs)) if (page.length !== 0) return page[0];
    return undefined;
  }

  /** FLUSHALL: deletes every data key and index entry in one transaction; resolves with the live count. */
  async flushKeys(nowMs: number): Promise<number> {
    const dataEnd = prefixEnd(this.layout.data);
    const res = await this.connection.call(
      (o) =>
        this.kv.txn(
          {
            success: [
              this.range(this.layout.data, dataEnd, { count_only: true }),
              this.range(this.layout.index, this.layout.indexDueEnd(nowMs), { count_only: true }),
              { request_delete_range: { key: this.layout.data, range_end: dataEnd } },
              { request_delete_range: { key: this.layout.index, range_end: prefixEnd(this.layout.index) } },
              // The fence of whole-keyspace transactions (no per-key events: FLUSHALL announces none).
              { request_put: { key: this.layout.outbox, value: encodeEvents(this.serverId, []) } },
            ],
          },
          o,
        ),
      // Deleting everything twice deletes everything once: safe to resend.
      "idempotent",
    );
    const keys = int64Number(res.responses[0]?.response_range.count);
    const due = int64Number(res.responses[1]?.response_range.count);
    this.lastCount = 0;
    this.lastWithTtl = 0;
    this.cache.clear();
    return Math.max(0, keys - due);
  }

  // ---- the rest ---------------------------------------------------------------------------

  stats(): RepositoryStats {
    return {
      keys: this.lastCount,
      keysWithTtl: this.lastWithTtl,
      expiredKeys: this.counters.expired,
      hits: this.counters.hits,
      misses: this.counters.misses,
      dirty: this.counters.dirty,
    };
  }

  /**
   * Conflict and ambiguity counters: retries after a failed compare; commits re-sent after an
   * unknown outcome; blind writes that found a key with a deadline and were re-run on its value;
   * calls sent again while an earlier send was pending (hedges: an outcome the engine never saw
   * as unknown, the first answer having settled it).
   */
  engineStats(): { conflicts: number; ambiguous: number; blindFallbacks: number; hedges: number } {
    return {
      conflicts: this.counters.conflicts,
      ambiguous: this.counters.ambiguous,
      blindFallbacks: this.counters.blindFallbacks,
      hedges: this.connection.hedges,
    };
  }

  /** True when etcd answers a linearizable read within the call deadline (quorum and a leader). */
  async available(): Promise<boolean> {
    try {
      await this.kv.range({ key: this.layout.outbox, count_only: true }, this.connection.deadline());
      return true;
    } catch {
      return false;
    }
  }

  /** Stops the watch, revokes the marker lease and closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await settleWithin(this.watcher?.cancel(), this.connection.timeoutMs);
    this.lease?.release();
    this.connection.close();
  }
}

function fetchedOf(kv: KeyValue | undefined): FetchedKey {
  return kv === undefined ? { raw: undefined, mod: ZERO } : { raw: kv.value, mod: int64String(kv.mod_revision) };
}

/** True when an envelope is not past its deadline at `nowMs`. */
function liveAt(raw: Buffer, nowMs: number): boolean {
  const at = envelopeDeadline(raw);
  return at === undefined || !(nowMs > at);
}
