/**
 * Batch and Pipeline over an asynchronous engine (a remote one: every command is a round trip).
 * Run one after the other, a Batch of 100 is 100 sequential round trips; run here, its commands
 * are ISSUED in order and run concurrently, up to `maxInFlight` at once:
 *
 * - per-key order holds: `store.run` takes its key locks synchronously when called, so commands on
 *   one key queue in the store's {@link KeyedLock} in issue order (a keyspace command waits for
 *   every command issued before it);
 * - replies come back in issue order;
 * - the engine sees many `atomic` calls at once and may coalesce their reads into one request.
 *
 * With a synchronous engine none of this applies: the callers keep their one-turn loops.
 */

/** Most commands of one Batch or Pipeline in flight at once. */
export const CONCURRENCY_WINDOW = 256;

/**
 * Starts `start(item)` for every item in order, with at most `maxInFlight` unsettled at once, and
 * resolves with the results in order. A rejection rejects the whole (after the started ones are
 * left to settle on their own): `start` turns per-item failures into results itself.
 */
export async function runInOrder<T, R>(
  items: readonly T[],
  start: (item: T) => R | Promise<R>,
  maxInFlight = CONCURRENCY_WINDOW,
): Promise<R[]> {
  const results = new Array<R | Promise<R>>(items.length);
  for (let i = 0; i < items.length; i++) {
    if (i >= maxInFlight) await results[i - maxInFlight]; // the oldest settles before one more starts
    results[i] = start(items[i] as T);
  }
  return Promise.all(results);
}

/**
 * Answers a stream of requests in order, starting each as soon as it arrives (without waiting for
 * earlier answers), with at most `maxInFlight` unanswered. Reads ahead of the answers only while the
 * limit has room, so a slow consumer bounds the work in flight.
 */
export async function* answerInOrder<T, R>(
  requests: AsyncIterable<T>,
  start: (request: T) => Promise<R>,
  maxInFlight = CONCURRENCY_WINDOW,
): AsyncGenerator<R> {
  const iter = requests[Symbol.asyncIterator]();
  const inflight: Promise<R>[] = [];
  let next: Promise<IteratorResult<T>> | undefined;
  let done = false;
  try {
    while (!done || inflight.length !== 0) {
      if (!done && inflight.length < maxInFlight) {
        next ??= iter.next();
        const oldest = inflight[0];
        // With nothing in flight, wait for a request; else for whichever comes first.
        const arrived = oldest === undefined ? await next : await Promise.race([next, oldest.then(() => undefined)]);
        if (arrived !== undefined) {
          next = undefined;
          if (arrived.done) done = true;
          else inflight.push(start(arrived.value));
          continue;
        }
      }
      yield await (inflight.shift() as Promise<R>);
    }
  } finally {
    // Answers still running are left to settle (their rejections are handled here).
    for (const p of inflight) p.catch(() => {});
    if (!done) {
      // Close the request stream as `for await` would; a read still pending would delay that
      // until the next request arrives, so then it is not waited for.
      const closing = iter.return?.();
      if (next === undefined) await closing;
      else closing?.catch(() => {});
    }
  }
}
