import type { Bytes } from "./bytes.js";
import type { MapRepository, RepositoryObserver } from "./map-repository.js";

class FanOut implements RepositoryObserver {
  constructor(readonly list: RepositoryObserver[]) {}
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
 * Adds an observer of every change to `repo` (persistence, memory accounting can both watch) and
 * returns the function that removes it. With one observer there is no fan-out cost.
 */
export function addRepositoryObserver(repo: MapRepository, observer: RepositoryObserver): () => void {
  const current = repo.observer;
  if (current === undefined) repo.observer = observer;
  else if (current instanceof FanOut) current.list.push(observer);
  else repo.observer = new FanOut([current, observer]);
  return () => {
    const now = repo.observer;
    if (now === observer) repo.observer = undefined;
    else if (now instanceof FanOut) {
      const rest = now.list.filter((o) => o !== observer);
      repo.observer = rest.length === 1 ? rest[0] : new FanOut(rest);
    }
  };
}
