/**
 * Two stores ("two servers") in one process on one etcd cluster, sharing a fresh prefix: the
 * set-up of the engine tests that need two servers without server processes.
 */
import { EtcdRepository, type EtcdRepositoryOptions } from "../../server/engines/etcd/etcd-repository.js";
import { createStore, type Store } from "../../shared/store/store.js";

/** Two stores over two repositories (two etcd connections), each store's events fed by the outbox watch. */
export interface StorePair {
  readonly a: Store;
  readonly b: Store;
  readonly ra: EtcdRepository;
  readonly rb: EtcdRepository;
}

/**
 * Makes a {@link StorePair} under `prefix` on the cluster at `endpoints`; each repository's
 * `close` goes on `closers` (run them in `afterAll`). `options` are given to both repositories.
 */
export async function storePair(
  endpoints: readonly string[],
  prefix: string,
  closers: (() => Promise<void>)[],
  options: Partial<EtcdRepositoryOptions> = {},
): Promise<StorePair> {
  const ra = new EtcdRepository({ ...options, endpoints, prefix });
  const rb = new EtcdRepository({ ...options, endpoints, prefix });
  closers.push(
    () => ra.close(),
    () => rb.close(),
  );
  const a = createStore({ repository: ra });
  const b = createStore({ repository: rb });
  ra.attach({ events: a.events });
  rb.attach({ events: b.events });
  await ra.startEvents();
  await rb.startEvents();
  return { a, b, ra, rb };
}
