/**
 * The fleet's expiry sweeper: of all servers on one etcd keyspace, ONE — elected through an etcd
 * election on a short lease — ranges the deadline index for due keys and deletes them, with their
 * single `expired` event in the outbox, in transactions that compare each index entry's
 * mod_revision (an index entry is unchanged exactly when the key's deadline is unchanged, so a key
 * rewritten meanwhile is left alone). Two sweepers for a moment (a lease about to expire) cannot
 * double-delete or double-announce: the compares make every deletion happen once.
 *
 * Reads never wait for the sweeper: a due key is invisible at once (its deadline is in its value).
 * The sweeper only reclaims storage and announces `expired`. If its server dies, its election lease
 * runs out after `electionTtlS` and another server takes over.
 */
import type { Campaign, Watcher } from "etcd3";
import type { Clock } from "../../../shared/store/clock.js";
import type { KeyspaceEvent } from "../../../shared/store/events.js";
import { settleWithin } from "./client.js";
import { envelopeDeadline } from "./envelope.js";
import type { EtcdRepository } from "./etcd-repository.js";
import { type Compare, CompareResult, CompareTarget, int64String, type KeyValue, type RequestOp } from "./kv-client.js";
import { decodeEvents, encodeEvents } from "./outbox.js";

const modIs = (key: Buffer, mod_revision: string): Compare => ({
  key,
  target: CompareTarget.MOD,
  result: CompareResult.EQUAL,
  mod_revision,
});

/** Runs `tasks` with at most `limit` running at once (a task never rejects here). */
async function inPool(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** Options of {@link ElectedSweeper}. */
export interface SweeperOptions {
  /** Pause between sweeps when nothing was due. @default 100 */
  readonly intervalMs?: number;
  /** Due keys per transaction (3 operations each; etcd's --max-txn-ops bounds it). @default 256 */
  readonly batch?: number;
  /** TTL of the election lease in seconds: how soon another server takes over a dead sweeper. @default 5 */
  readonly electionTtlS?: number;
  /**
   * Stale index entries whose key's history is read at once (each read is an etcd watch from a
   * revision, then one outbox range). @default 32
   */
  readonly historyConcurrency?: number;
}

/** Counters of a sweeper. */
export interface SweeperStats {
  readonly leading: boolean;
  readonly expired: number;
  readonly sweeps: number;
  readonly conflicts: number;
  /** Stale index entries whose key's history could not be read (compacted): an `expired` event may be missing. */
  readonly unknown: number;
  /** History watches open now (0 between sweeps: every watch is cancelled, even on errors and timeouts). */
  readonly watching: number;
}

/** The elected sweeper of one server (see the module comment). */
export class ElectedSweeper {
  private readonly intervalMs: number;
  private readonly batch: number;
  private readonly ttl: number;
  private readonly historyConcurrency: number;
  private campaign: Campaign | undefined;
  private leading = false;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private expired = 0;
  private sweeps = 0;
  private conflicts = 0;
  private unknown = 0;
  private watching = 0;
  /** Called when this server becomes or stops being the sweeper. */
  onLeadership: ((leading: boolean) => void) | undefined;

  constructor(
    private readonly repo: EtcdRepository,
    private readonly clock: Clock,
    options: SweeperOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.batch = options.batch ?? 256;
    this.ttl = options.electionTtlS ?? 5;
    this.historyConcurrency = Math.max(1, options.historyConcurrency ?? 32);
  }

  /** Joins the election; sweeps while elected. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.campaignNow();
  }

  private campaignNow(): void {
    if (!this.running) return;
    const election = this.repo.client.namespace(this.repo.layout.prefix).election("sweeper", this.ttl);
    const campaign = election.campaign(this.repo.serverId);
    this.campaign = campaign;
    campaign.on("elected", () => {
      if (this.campaign !== campaign) return;
      this.setLeading(true);
      this.schedule(0);
    });
    campaign.on("error", () => {
      if (this.campaign !== campaign) return;
      // Lease lost (etcd unreachable) or the campaign failed: stop sweeping, campaign again.
      this.setLeading(false);
      this.campaign = undefined;
      campaign.resign().catch(() => {});
      if (this.running) setTimeout(() => this.campaignNow(), 500).unref();
    });
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.onLeadership?.(leading);
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined || !this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.loop();
    }, ms);
    this.timer.unref();
  }

  private loop(): void {
    if (!this.leading || !this.running) return;
    this.sweepOnce(this.clock.now()).then(
      (n) => this.schedule(n >= this.batch ? 0 : this.intervalMs),
      () => this.schedule(this.intervalMs * 5),
    );
  }

  /**
   * Deletes up to one batch of keys due at `nowMs`, announcing each once; resolves with how many
   * index entries were settled (due keys deleted, stale entries dropped). Exposed for tests; the
   * election loop calls it.
   */
  async sweepOnce(nowMs: number): Promise<number> {
    this.sweeps++;
    const { layout, connection } = this.repo;
    const res = await connection.call((o) =>
      this.repo.kv.range({ key: layout.index, range_end: layout.indexDueEnd(nowMs), limit: this.batch }, o),
    );
    if (res.kvs.length === 0) return 0;
    // History answers of stale entries, kept for the one-at-a-time retry below (an entry's answer
    // depends only on the entry, which the retry's compare pins).
    const history = new Map<string, Promise<boolean>>();
    if (await this.settle(res.kvs, nowMs, history)) return res.kvs.length;
    // A key changed between its read and the delete: one at a time, so the rest still go.
    this.conflicts++;
    let n = 0;
    for (const kv of res.kvs) if (await this.settle([kv], nowMs, history)) n++;
    return n;
  }

  /**
   * Reads the keys of due index entries, then, in one transaction that compares every key's
   * mod_revision as read (and each entry's), deletes each key that still has the entry's deadline
   * with its entry and one `expired` event, and drops each stale entry (its key was overwritten
   * blind, without reading its deadline: etcd-repository.ts commitPart) alone. False when a
   * compare failed: nothing applied.
   */
  private async settle(
    entries: readonly KeyValue[],
    nowMs: number,
    history: Map<string, Promise<boolean>>,
  ): Promise<boolean> {
    const { layout, connection } = this.repo;
    const parsed = entries.map((kv) => ({ entry: kv, ...layout.parseIndexKey(kv.key) }));
    const dataKeys = parsed.map((p) => layout.dataKey(p.key));
    const read = await connection.call((o) =>
      this.repo.kv.txn({ success: dataKeys.map((key) => ({ request_range: { key } })) }, o),
    );
    // The stale entries' histories, read concurrently (at most historyConcurrency at once): one
    // after another, 100k stale entries (keys given a TTL, then MSET without one) held the really
    // due keys and their `expired` events back for minutes.
    const stale: (() => Promise<void>)[] = [];
    const answers = new Map<number, Promise<boolean>>();
    for (let i = 0; i < parsed.length; i++) {
      const { entry, atMs } = parsed[i] as (typeof parsed)[number];
      const data = read.responses[i]?.response_range.kvs[0];
      const deadline = data === undefined ? undefined : envelopeDeadline(data.value);
      if (deadline !== undefined && Math.trunc(deadline) === atMs) continue;
      const id = `${entry.key.toString("latin1")}@${int64String(entry.mod_revision)}`;
      const known = history.get(id);
      if (known !== undefined) {
        answers.set(i, known);
        continue;
      }
      let resolve!: (v: boolean) => void;
      const answer = new Promise<boolean>((r) => {
        resolve = r;
      });
      history.set(id, answer);
      answers.set(i, answer);
      const dataKey = dataKeys[i] as Buffer;
      stale.push(() => this.overwrittenWhenDue(dataKey, entry, atMs, data).then(resolve));
    }
    await inPool(stale, this.historyConcurrency);
    const events: KeyspaceEvent[] = [];
    const compare: Compare[] = [];
    const success: RequestOp[] = [];
    let expired = 0;
    for (let i = 0; i < parsed.length; i++) {
      const { entry, key, atMs } = parsed[i] as (typeof parsed)[number];
      const dataKey = dataKeys[i] as Buffer;
      const data = read.responses[i]?.response_range.kvs[0];
      compare.push(modIs(entry.key, int64String(entry.mod_revision)));
      // The key as read: unchanged at the delete, or the transaction fails.
      compare.push(
        data === undefined
          ? { key: dataKey, target: CompareTarget.CREATE, result: CompareResult.EQUAL, create_revision: 0 }
          : modIs(dataKey, int64String(data.mod_revision)),
      );
      success.push({ request_delete_range: { key: entry.key } });
      const deadline = data === undefined ? undefined : envelopeDeadline(data.value);
      if (deadline !== undefined && Math.trunc(deadline) === atMs) {
        success.push({ request_delete_range: { key: dataKey } });
        events.push({ event: "expired", key, class: "expired", atMs: nowMs });
        expired++;
      } else if (await answers.get(i)) {
        // Stale, but the blind write that made it so came after the deadline: the old value had
        // expired then (the memory engine announces it at the write; here it comes now).
        events.push({ event: "expired", key, class: "expired", atMs: nowMs });
        expired++;
      }
    }
    success.push({ request_put: { key: layout.outbox, value: encodeEvents(this.repo.serverId, events) } });
    // Idempotent to resend: a second send finds the index entries gone and fails its compare.
    const res = await connection.call((o) => this.repo.kv.txn({ compare, success }, o));
    if (res.succeeded) this.expired += expired;
    return res.succeeded;
  }

  /**
   * Whether the write that dropped a key's deadline `atMs` (the first change of the key after the
   * index entry was put) came after that deadline: read from etcd's history (that change's
   * revision, then the outbox record of that commit, whose events carry the writer's clock).
   * The change is usually the key's current value (`current`, as read): one range of the key just
   * before it proves that (unchanged since the entry); otherwise a watch from the entry's next
   * revision finds it (each such watch waits for etcd's unsynced-watcher loop, ~100 ms).
   * False when the history is compacted or unreadable (the event is then missed; counted).
   */
  private async overwrittenWhenDue(
    dataKey: Buffer,
    entry: KeyValue,
    atMs: number,
    current: KeyValue | undefined,
  ): Promise<boolean> {
    const { layout, connection } = this.repo;
    const entryRev = BigInt(int64String(entry.mod_revision));
    const from = (entryRev + 1n).toString();
    let watcher: Watcher | undefined;
    let closed = false;
    // Set when etcd cancelled the watch itself (history compacted): the client has dropped it, and
    // a cancel of it would draw a reply the client throws on, uncaught ("Failed to find watcher").
    let dead = false;
    try {
      let revision: string | undefined;
      if (current !== undefined) {
        const currentRev = BigInt(int64String(current.mod_revision));
        const before = await connection.call((o) =>
          this.repo.kv.range({ key: dataKey, revision: (currentRev - 1n).toString() }, o),
        );
        const prev = before.kvs[0];
        if (prev !== undefined && BigInt(int64String(prev.mod_revision)) <= entryRev) revision = currentRev.toString();
      }
      if (revision === undefined)
        revision = await new Promise<string | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), connection.timeoutMs);
          const done = (revision: string | undefined) => {
            clearTimeout(timer);
            resolve(revision);
          };
          this.repo.client
            .watch()
            .key(dataKey)
            .startRevision(from)
            .create()
            .then(
              (w) => {
                this.watching++;
                watcher = w;
                // Created after the timeout and the finally below: cancelled here instead.
                if (closed) void this.cancelWatch(w, () => dead);
                w.on("delete", (kv) => done(kv.mod_revision));
                w.on("put", (kv) => {
                  const at = envelopeDeadline(kv.value);
                  if (at === undefined || Math.trunc(at) !== atMs) done(kv.mod_revision);
                });
                w.on("error", () => {
                  dead = true;
                  done(undefined);
                });
              },
              () => done(undefined),
            );
        });
      if (revision === undefined) {
        this.unknown++;
        return false;
      }
      const outbox = await connection.call((o) => this.repo.kv.range({ key: layout.outbox, revision }, o));
      const record = outbox.kvs[0] === undefined ? undefined : decodeEvents(outbox.kvs[0].value);
      const key = layout.keyOf(dataKey);
      const at = record?.events.find((e) => e.key === key)?.atMs ?? record?.events[0]?.atMs;
      if (at === undefined) {
        this.unknown++;
        return false;
      }
      return at > atMs;
    } catch {
      this.unknown++;
      return false;
    } finally {
      closed = true;
      if (watcher !== undefined) await this.cancelWatch(watcher, () => dead);
    }
  }

  /** Cancels a history watch, waiting at most the call timeout (etcd unreachable must not stall a sweep). */
  private async cancelWatch(w: Watcher, dead: () => boolean): Promise<void> {
    if (!dead()) await settleWithin(w.cancel(), this.repo.connection.timeoutMs);
    this.watching--;
  }

  /** Leaves the election and stops sweeping. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.setLeading(false);
    const c = this.campaign;
    this.campaign = undefined;
    await settleWithin(c?.resign(), this.repo.connection.timeoutMs);
  }

  /** Counters. */
  stats(): SweeperStats {
    return {
      leading: this.leading,
      expired: this.expired,
      sweeps: this.sweeps,
      conflicts: this.conflicts,
      unknown: this.unknown,
      watching: this.watching,
    };
  }
}
