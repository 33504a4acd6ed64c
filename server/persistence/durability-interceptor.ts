import type { Interceptor, StreamResponse } from "@connectrpc/connect";
import { consoleLogger, toConnectError } from "../../shared/api/error-map.js";
import type { Persistence } from "./types.js";

/**
 * Acknowledged means durable, in every fsync mode: a reply leaves the server only once every
 * change made before it has reached the log (written, i.e. handed to the kernel; fsynced too with
 * `always`). All writes of one turn share one frame and everything queued while the previous write
 * ran shares the next write (group commit), so concurrent clients do not pay a write each.
 * Stream replies (Pipeline) wait message by message. Reads wait too when writes are pending, so a
 * client never reads a value that a crash could still take back.
 *
 * The log failing (disk full, I/O error): a call that changed nothing since it started is answered
 * at once; one that may have written gets MISCONF (UNAVAILABLE: server-side, retry later).
 * Installed on the connect routes and on both gRPC lanes (same interceptor list).
 */
export function durabilityInterceptor(persistence: Persistence): Interceptor {
  const wait = async (since: number): Promise<void> => {
    try {
      await persistence.durable(since);
    } catch (error) {
      throw toConnectError(error, consoleLogger);
    }
  };
  return (next) => async (req) => {
    const since = persistence.mark();
    const res = await next(req);
    if (!res.stream) {
      await wait(since);
      return res;
    }
    const inner = (res as StreamResponse).message;
    // Only a stream the client sends commands on (Pipeline) can write; a server stream
    // (Subscribe, Watch) waits for earlier writes but is never failed by a broken log.
    const writes = req.method.methodKind === "bidi_streaming" || req.method.methodKind === "client_streaming";
    return {
      ...res,
      message: (async function* () {
        let from = since;
        for await (const m of inner) {
          await wait(writes ? from : persistence.mark());
          from = persistence.mark();
          yield m;
        }
      })(),
    } as StreamResponse;
  };
}
