import type { Bytes } from "./bytes.js";
import type { RepositoryObserver } from "./repository.js";

/** Calls every observer of a list, in order. */
class FanOut implements RepositoryObserver {
  constructor(private readonly list: readonly RepositoryObserver[]) {}
  touched(key: Bytes): void {
    for (const o of this.list) o.touched(key);
  }
  flushed(): void {
    for (const o of this.list) o.flushed();
  }
  accessed(key: Bytes): void {
    for (const o of this.list) o.accessed(key);
  }
}

/**
 * The observers of a local keyspace (persistence, eviction, tests): a list with add/remove. The
 * engine calls {@link current}, which is undefined without observers (one check per write), the
 * observer itself when there is one (no fan-out cost), and a fan-out otherwise.
 */
export class ObserverList {
  private list: readonly RepositoryObserver[] = [];
  /** What to call on a change: undefined when nobody observes. */
  current: RepositoryObserver | undefined = undefined;

  /** Adds `observer` (the same one twice observes twice) and returns the function that removes it (idempotent). */
  add(observer: RepositoryObserver): () => void {
    this.list = [...this.list, observer];
    this.update();
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const i = this.list.indexOf(observer);
      if (i >= 0) this.list = [...this.list.slice(0, i), ...this.list.slice(i + 1)];
      this.update();
    };
  }

  /** Number of observers. */
  get size(): number {
    return this.list.length;
  }

  private update(): void {
    const list = this.list;
    this.current = list.length === 0 ? undefined : list.length === 1 ? list[0] : new FanOut(list);
  }
}
