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
import type { Campaign } from "etcd3";
import type { Clock } from "../../../shared/store/clock.js";
import type { KeyspaceEvent } from "../../../shared/store/events.js";
import { settleWithin } from "./client.js";
import type { EtcdRepository } from "./etcd-repository.js";
import { CompareResult, CompareTarget, type KeyValue, type RequestOp } from "./kv-client.js";
import { encodeEvents } from "./outbox.js";

/** Options of {@link ElectedSweeper}. */
export interface SweeperOptions {
  /** Pause between sweeps when nothing was due. @default 100 */
  readonly intervalMs?: number;
  /** Due keys per transaction (3 operations each; etcd's --max-txn-ops bounds it). @default 256 */
  readonly batch?: number;
  /** TTL of the election lease in seconds: how soon another server takes over a dead sweeper. @default 5 */
  readonly electionTtlS?: number;
}

/** Counters of a sweeper. */
export interface SweeperStats {
  readonly leading: boolean;
  readonly expired: number;
  readonly sweeps: number;
  readonly conflicts: number;
}

/** The elected sweeper of one server (see the module comment). */
export class ElectedSweeper {
  private readonly intervalMs: number;
  private readonly batch: number;
  private readonly ttl: number;
  private campaign: Campaign | undefined;
  private leading = false;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private expired = 0;
  private sweeps = 0;
  private conflicts = 0;
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
   * were deleted. Exposed for tests; the election loop calls it.
   */
  async sweepOnce(nowMs: number): Promise<number> {
    this.sweeps++;
    const { layout, connection } = this.repo;
    const res = await connection.call((o) =>
      this.repo.kv.range({ key: layout.index, range_end: layout.indexDueEnd(nowMs), limit: this.batch }, o),
    );
    if (res.kvs.length === 0) return 0;
    if (await this.deleteDue(res.kvs, nowMs)) return res.kvs.length;
    // Some entry changed under us: one at a time, so the rest still go.
    this.conflicts++;
    let n = 0;
    for (const kv of res.kvs) if (await this.deleteDue([kv], nowMs)) n++;
    return n;
  }

  private async deleteDue(entries: readonly KeyValue[], nowMs: number): Promise<boolean> {
    const { layout, connection } = this.repo;
    const events: KeyspaceEvent[] = [];
    const success: RequestOp[] = [];
    for (const kv of entries) {
      const { key } = layout.parseIndexKey(kv.key);
      success.push({ request_delete_range: { key: layout.dataKey(key) } }, { request_delete_range: { key: kv.key } });
      events.push({ event: "expired", key, class: "expired", atMs: nowMs });
    }
    success.push({ request_put: { key: layout.outbox, value: encodeEvents(this.repo.serverId, events) } });
    // Idempotent to resend: a second send finds the index entries gone and fails its compare.
    const res = await connection.call((o) =>
      this.repo.kv.txn(
        {
          compare: entries.map((kv) => ({
            key: kv.key,
            target: CompareTarget.MOD,
            result: CompareResult.EQUAL,
            mod_revision: kv.mod_revision,
          })),
          success,
        },
        o,
      ),
    );
    if (res.succeeded) this.expired += entries.length;
    return res.succeeded;
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
    return { leading: this.leading, expired: this.expired, sweeps: this.sweeps, conflicts: this.conflicts };
  }
}
