/**
 * maxmemory and eviction, approximated like Redis (`evict.c`): before each command, while the
 * used-memory estimate is above the limit, sample a few keys and evict the best candidate for the
 * policy; when nothing can be evicted, commands that may grow memory (`denyoom`) are refused with
 * `OOM command not allowed when used memory > 'maxmemory'.`
 *
 * **The memory estimate** is the store's own accounting, not the V8 heap (which only shrinks at the
 * next GC, so evicting "until the heap is small" would empty the store): the sum over keys of the
 * same estimate MEMORY USAGE reports (key, value, keyspace entry, TTL entry). It is kept in a side
 * map, updated at the next command for the keys changed since.
 *
 * **Cost when off:** nothing: this module is only installed when `maxmemory` is set, and it is the
 * only place that keeps per-key access time or frequency.
 */
import type { Bytes } from "./bytes.js";
import type { CommandSpec } from "./command.js";
import { StoreError } from "./errors.js";
import { memoryUsage } from "./object-info.js";
import type { LocalKeyspace, RepositoryObserver } from "./repository.js";
import type { Store } from "./store.js";

/** The eviction policies (Redis's `maxmemory-policy`). */
export type EvictionPolicy =
  | "noeviction"
  | "allkeys-lru"
  | "allkeys-lfu"
  | "volatile-lru"
  | "volatile-lfu"
  | "volatile-ttl"
  | "allkeys-random"
  | "volatile-random";

/** Every policy, for option validation. */
export const EVICTION_POLICIES: readonly EvictionPolicy[] = [
  "noeviction",
  "allkeys-lru",
  "allkeys-lfu",
  "volatile-lru",
  "volatile-lfu",
  "volatile-ttl",
  "allkeys-random",
  "volatile-random",
];

/** Options of {@link installEviction}. */
export interface EvictionOptions {
  /** The limit of the estimate, in bytes. */
  readonly maxBytes: number;
  /** @default "noeviction" */
  readonly policy?: EvictionPolicy;
  /** Keys sampled per eviction (Redis's maxmemory-samples). @default 5 */
  readonly samples?: number;
  /** Random source for sampling (tests seed it). @default Math.random */
  readonly random?: () => number;
}

/** Counters of eviction. */
export interface EvictionStats {
  readonly policy: EvictionPolicy;
  readonly maxBytes: number;
  readonly usedBytes: number;
  readonly evictedKeys: number;
  readonly oomRejections: number;
}

interface Meta {
  bytes: number;
  slot: number;
  /** Logical access time (LRU). */
  access: number;
  /** Logarithmic access counter (LFU, Redis's 8-bit counter), and the minute of its last decay. */
  lfu: number;
  lfuMinute: number;
}

const LFU_INIT = 5;
const LFU_LOG_FACTOR = 10;

/** The maxmemory controller of one store (see the module comment). */
export class Evictor implements RepositoryObserver {
  readonly policy: EvictionPolicy;
  maxBytes: number;
  private readonly samples: number;
  private readonly meta = new Map<Bytes, Meta>();
  private readonly slots: Bytes[] = [];
  private readonly dirty = new Set<Bytes>();
  private used = 0;
  private tick = 0;
  private evicted = 0;
  private oom = 0;
  private evicting = false;
  private readonly detach: () => void;
  private readonly random: () => number;

  constructor(
    private readonly store: Store,
    private readonly repo: LocalKeyspace,
    options: EvictionOptions,
  ) {
    this.policy = options.policy ?? "noeviction";
    this.maxBytes = options.maxBytes;
    this.samples = Math.max(1, options.samples ?? 5);
    this.random = options.random ?? Math.random;
    for (const key of repo.keys()) this.dirty.add(key);
    this.detach = repo.addObserver(this);
  }

  touched(key: Bytes): void {
    this.dirty.add(key);
  }

  flushed(): void {
    this.meta.clear();
    this.slots.length = 0;
    this.dirty.clear();
    this.used = 0;
  }

  accessed(key: Bytes): void {
    const m = this.meta.get(key);
    if (m === undefined) return;
    m.access = ++this.tick;
    if (this.policy === "allkeys-lfu" || this.policy === "volatile-lfu") this.bumpLfu(m);
  }

  private bumpLfu(m: Meta): void {
    const minute = Math.floor(this.store.clock.now() / 60_000);
    if (minute > m.lfuMinute) {
      m.lfu = Math.max(0, m.lfu - (minute - m.lfuMinute)); // decay one per idle minute
      m.lfuMinute = minute;
    }
    if (m.lfu >= 255) return;
    const base = Math.max(0, m.lfu - LFU_INIT);
    if (this.random() < 1 / (base * LFU_LOG_FACTOR + 1)) m.lfu++;
  }

  /** Re-measures the keys changed since the last call. */
  private settle(): void {
    if (this.dirty.size === 0) return;
    for (const key of this.dirty) {
      const state = this.repo.peek(key);
      let m = this.meta.get(key);
      if (state === undefined) {
        if (m !== undefined) this.drop(key, m);
        continue;
      }
      const bytes = memoryUsage(key, state.value, state.expireAt !== undefined);
      if (m === undefined) {
        m = { bytes, slot: this.slots.length, access: ++this.tick, lfu: LFU_INIT, lfuMinute: 0 };
        this.slots.push(key);
        this.meta.set(key, m);
        this.used += bytes;
      } else {
        this.used += bytes - m.bytes;
        m.bytes = bytes;
        m.access = ++this.tick;
      }
    }
    this.dirty.clear();
  }

  private drop(key: Bytes, m: Meta): void {
    this.used -= m.bytes;
    this.meta.delete(key);
    const last = this.slots.pop() as Bytes;
    if (last !== key) {
      this.slots[m.slot] = last;
      (this.meta.get(last) as Meta).slot = m.slot;
    }
  }

  /** The estimate of memory used, in bytes. */
  usedBytes(): number {
    this.settle();
    return this.used;
  }

  /** Picks the best candidate of one sample, or undefined when none qualifies. */
  private candidate(now: number): Bytes | undefined {
    const n = this.slots.length;
    if (n === 0) return undefined;
    const volatile = this.policy.startsWith("volatile-");
    let best: Bytes | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    // Volatile policies look further: keys without a TTL are skipped, not counted.
    const tries = volatile ? this.samples * 20 : this.samples;
    let taken = 0;
    for (let i = 0; i < tries && taken < this.samples; i++) {
      const key = this.slots[Math.floor(this.random() * n)] as Bytes;
      const state = this.repo.peek(key);
      if (state === undefined) continue;
      if (volatile && state.expireAt === undefined) continue;
      taken++;
      const m = this.meta.get(key) as Meta;
      let score: number;
      switch (this.policy) {
        case "allkeys-lru":
        case "volatile-lru":
          score = m.access;
          break;
        case "allkeys-lfu":
        case "volatile-lfu":
          score = m.lfu * 2 ** 32 + m.access;
          break;
        case "volatile-ttl":
          score = (state.expireAt as number) - now;
          break;
        default:
          score = 0; // random
      }
      if (score < bestScore) {
        bestScore = score;
        best = key;
      }
    }
    return best;
  }

  /**
   * The admission step: evicts while above the limit, then refuses a `denyoom` command if memory
   * is still above it. Install as (part of) `store.admit`.
   */
  admit(spec: CommandSpec, _argv: readonly Bytes[]): void {
    if (this.evicting) return;
    this.settle();
    if (this.used <= this.maxBytes) return;
    if (this.policy !== "noeviction") this.evict();
    if (this.used > this.maxBytes && spec.flags.includes("denyoom")) {
      this.oom++;
      throw new StoreError("OOM");
    }
  }

  /** Evicts keys until the estimate is under the limit or nothing qualifies. */
  private evict(): void {
    this.evicting = true;
    try {
      const now = this.store.clock.now();
      while (this.used > this.maxBytes) {
        const key = this.candidate(now);
        if (key === undefined) return;
        this.repo.atomic([key], now, (view) => view.remove(key));
        this.settle();
        this.evicted++;
        if (this.store.events.listening) this.store.events.emit({ event: "evicted", key, class: "evicted", atMs: now });
      }
    } finally {
      this.evicting = false;
    }
  }

  stats(): EvictionStats {
    return {
      policy: this.policy,
      maxBytes: this.maxBytes,
      usedBytes: this.usedBytes(),
      evictedKeys: this.evicted,
      oomRejections: this.oom,
    };
  }

  /** Stops observing the store. */
  uninstall(): void {
    this.detach();
  }
}

/**
 * Installs maxmemory on a store whose engine keeps its keyspace in this process's memory (the
 * {@link LocalKeyspace} capability: the Map engine): returns the {@link Evictor}, whose `admit` the
 * caller chains into `store.admit` (the server combines it with authorization). Throws a
 * `TypeError` for an engine without it (a remote engine's memory is not this process's).
 */
export function installEviction(store: Store, options: EvictionOptions): Evictor {
  const local = store.repository.local;
  if (local === undefined) {
    throw new TypeError("maxmemory needs a storage engine whose keyspace is in this process's memory");
  }
  return new Evictor(store, local, options);
}
