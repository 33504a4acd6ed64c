import type { Interceptor, StreamResponse } from "@connectrpc/connect";
import type { Persistence } from "./types.js";

/**
 * With `--fsync always`: a reply leaves the server only once every change made before it is
 * fsynced. All writes of one event-loop turn share one fsync (group commit: the log writer takes
 * everything queued while the previous fsync ran), so concurrent clients do not pay one fsync each.
 * Stream replies (Pipeline) wait message by message. Reads wait too when writes are pending, so a
 * client never reads a value that a crash could still take back.
 */
export function durabilityInterceptor(persistence: Persistence): Interceptor {
  return (next) => async (req) => {
    const res = await next(req);
    if (!res.stream) {
      await persistence.durable();
      return res;
    }
    const inner = (res as StreamResponse).message;
    return {
      ...res,
      message: (async function* () {
        for await (const m of inner) {
          await persistence.durable();
          yield m;
        }
      })(),
    } as StreamResponse;
  };
}
