import type { Bytes } from "./bytes.js";
import { compileGlob, type GlobMatcher } from "./glob.js";

/**
 * Keyspace events, in the spirit of Redis's keyspace notifications (`notify-keyspace-events`):
 * every change to a key emits one event naming the command-level operation (`set`, `del`,
 * `expire`, `expired`, `rename_from`, `rename_to`, `lpush`, `hset`, `zadd`, …).
 */

/** The class of an event, as Redis groups them (generic, per type, expired, evicted). */
export type EventClass = "generic" | "string" | "list" | "hash" | "set" | "zset" | "stream" | "expired" | "evicted";

/** One change to one key. */
export interface KeyspaceEvent {
  /** The operation: `set`, `del`, `expire`, `expired`, `evicted`, `rename_from`, `lpush`, … */
  readonly event: string;
  /** The key, as bytes. */
  readonly key: Bytes;
  /** The event's class. */
  readonly class: EventClass;
  /** When it happened (ms since the epoch, from the store's clock). */
  readonly atMs: number;
}

/** Which events a subscriber wants. Every field narrows; an empty filter receives everything. */
export interface EventFilter {
  /** A Redis glob over keys, e.g. `user:*`. */
  readonly pattern?: Bytes;
  /** Event names to receive, e.g. `["set", "del", "expired"]`. */
  readonly events?: readonly string[];
  /** Event classes to receive. */
  readonly classes?: readonly EventClass[];
}

/** Receives events synchronously, right after the change; it must not throw or block. */
export type EventListener = (event: KeyspaceEvent) => void;

interface Subscription {
  readonly match: GlobMatcher | null;
  readonly events: ReadonlySet<string> | null;
  readonly classes: ReadonlySet<EventClass> | null;
  readonly listener: EventListener;
}

/** Fan-out of keyspace events to filtered subscribers. */
export class EventBus {
  private subs: Subscription[] = [];
  /** Listener errors go here instead of breaking the command that emitted the event. */
  onListenerError: (error: unknown) => void = () => {};

  /** True when anybody listens: emitters check it before building an event. */
  get listening(): boolean {
    return this.subs.length > 0;
  }

  /** Number of subscribers. */
  get subscriberCount(): number {
    return this.subs.length;
  }

  /** Subscribes `listener` to events matching `filter`; returns the unsubscribe function. */
  subscribe(filter: EventFilter, listener: EventListener): () => void {
    const sub: Subscription = {
      match: filter.pattern === undefined || filter.pattern === "*" ? null : compileGlob(filter.pattern),
      events: filter.events && filter.events.length > 0 ? new Set(filter.events) : null,
      classes: filter.classes && filter.classes.length > 0 ? new Set(filter.classes) : null,
      listener,
    };
    // Copy on write: emit() iterates a stable array even if a listener unsubscribes.
    this.subs = [...this.subs, sub];
    return () => {
      this.subs = this.subs.filter((s) => s !== sub);
    };
  }

  /**
   * Delivers an event to every matching subscriber, in subscription order. The subscribers are
   * those present when the emit began: one added by a listener gets the next event, one removed
   * by a listener still gets this one (as Node's EventEmitter does).
   */
  emit(event: KeyspaceEvent): void {
    for (const s of this.subs) {
      if (s.events !== null && !s.events.has(event.event)) continue;
      if (s.classes !== null && !s.classes.has(event.class)) continue;
      if (s.match !== null && !s.match(event.key)) continue;
      try {
        s.listener(event);
      } catch (error) {
        try {
          this.onListenerError(error);
        } catch {
          // The reporter failed too: still never break the change (or the commit) that emitted.
        }
      }
    }
  }
}
