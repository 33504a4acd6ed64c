import type { KeyspaceEvent } from "../../../shared/gen/memorabilia/v1/watch_service_pb.js";

/** One keyspace event as the Events view lists it. */
export interface LoggedEvent {
  readonly n: number;
  readonly atMs: number;
  /** When it arrived here (local clock): what the rate counts. */
  readonly seenAt: number;
  readonly event: string;
  readonly key: string;
}

/**
 * The last `keep` keyspace events the Events view's stream delivered (the keys the list
 * watches), newest last, and how many arrived in all.
 */
export class EventLog {
  private readonly items: LoggedEvent[] = [];
  total = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly keep = 500) {}

  push(events: readonly KeyspaceEvent[]): void {
    if (events.length === 0) return;
    const now = Date.now();
    for (const e of events) {
      this.items.push({ n: this.total++, atMs: Number(e.atMs) || now, seenAt: now, event: e.event, key: e.key });
    }
    if (this.items.length > this.keep) this.items.splice(0, this.items.length - this.keep);
    for (const l of this.listeners) l();
  }

  /** Forgets every event (the watched pattern changed). */
  clear(): void {
    this.items.length = 0;
    this.total = 0;
    for (const l of this.listeners) l();
  }

  /** The events kept, oldest first. */
  list(): readonly LoggedEvent[] {
    return this.items;
  }

  /** Events per second that arrived over the last `windowMs`. */
  rate(now: number, windowMs = 5000): number {
    let n = 0;
    for (let i = this.items.length - 1; i >= 0 && (this.items[i] as LoggedEvent).seenAt >= now - windowMs; i--) n++;
    return (n * 1000) / windowMs;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
