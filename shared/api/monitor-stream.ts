/**
 * ServerService.Monitor: every command of every host as it completes (the store's command log),
 * through a {@link StreamQueue}, so a reader that falls behind is closed with RESOURCE_EXHAUSTED
 * within the stream output-buffer limits and the server-wide stream budget, as a Pub/Sub reader is.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { MonitorResponseSchema } from "../gen/memorabilia/v1/server_service_pb.js";
import { bytesToArray } from "../store/bytes.js";
import type { MonitorEvent } from "../store/command-log.js";
import type { Store } from "../store/store.js";
import { StreamQueue } from "./stream-queue.js";
import { heartbeatMs, type ResolvedStreamingOptions, type StreamCounter } from "./streaming-options.js";

type MonitorMessage = MessageInitShape<typeof MonitorResponseSchema>;

/** What an event takes on the wire: its arguments and the client's names, plus framing (an estimate). */
function eventBytes(e: MonitorEvent): number {
  let n = 48 + e.client.addr.length + e.client.name.length + e.client.source.length;
  for (const a of e.args) n += a.length + 2;
  return n;
}

/** The stream of one Monitor call. */
export async function* monitorStream(
  store: Store,
  requestedHeartbeatMs: number,
  signal: AbortSignal,
  options: ResolvedStreamingOptions,
  streams: StreamCounter,
): AsyncGenerator<MonitorMessage> {
  const idleMs = heartbeatMs(requestedHeartbeatMs, options);
  let detach = (): void => {};
  const queue = new StreamQueue<MonitorEvent>({
    limits: options.queueLimits,
    fellBehind: "monitor fell behind",
    sizeOf: eventBytes,
    now: options.monotonicNow,
    onFail: () => detach(),
    onOverflow: (reason) => streams.countOverflow(reason),
    budget: streams.budget,
  });
  detach = store.commandLog.monitor((e) => queue.push(e));
  const onAbort = (): void => detach();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    yield { kind: { case: "started", value: { atMs: BigInt(store.clock.now()) } } };
    for (;;) {
      const take = await queue.next(idleMs, signal, options.maxEventsPerMessage);
      if ("idle" in take) {
        yield { kind: { case: "heartbeat", value: { atMs: BigInt(store.clock.now()) } } };
        continue;
      }
      for (const e of take.items) {
        yield {
          kind: {
            case: "command",
            value: {
              atUs: BigInt(e.atUs),
              durationUs: BigInt(e.durationUs),
              args: e.args.map(bytesToArray),
              client: e.client,
            },
          },
        };
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    detach();
    queue.close();
  }
}
