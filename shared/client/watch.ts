/**
 * `watch()`: keyspace events as an async iterator over WatchService.Watch, flattened to one item
 * per snapshot page or event (heartbeats are dropped unless asked for).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CallOptions, Client } from "@connectrpc/connect";
import type { KeyInfo } from "../gen/memorabilia/v1/keys_service_pb.js";
import type { KeyspaceEvent, WatchRequestSchema, WatchService } from "../gen/memorabilia/v1/watch_service_pb.js";

/** One item of {@link watch}. */
export type WatchItem =
  | { readonly kind: "snapshot"; readonly keys: readonly KeyInfo[]; readonly last: boolean }
  | { readonly kind: "event"; readonly event: KeyspaceEvent }
  | { readonly kind: "heartbeat"; readonly atMs: bigint };

/** Options of {@link watch}: the WatchRequest fields besides the pattern, plus call options. */
export interface WatchOptions extends Omit<MessageInitShape<typeof WatchRequestSchema>, "pattern" | "$typeName"> {
  /** Yield heartbeats too (default: false). */
  readonly heartbeats?: boolean;
  /** Ends the stream when aborted (the iterator then finishes without an error). */
  readonly signal?: AbortSignal;
  /** Other call options (headers, timeout). */
  readonly callOptions?: CallOptions;
}

/**
 * Watches the keys matching a Redis glob: yields the snapshot pages first (with
 * `snapshot: true`), then each event as it happens, until the iterator is left (`break`) or the
 * signal aborts.
 *
 * @example
 * ```ts
 * for await (const item of watch(client.watch, "user:*", { snapshot: true })) {
 *   if (item.kind === "event") console.log(item.event.event, item.event.key);
 * }
 * ```
 */
export async function* watch(
  service: Client<typeof WatchService>,
  pattern: string,
  options: WatchOptions = {},
): AsyncGenerator<WatchItem, void, undefined> {
  const { heartbeats = false, signal, callOptions, ...request } = options;
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) return;
  try {
    const stream = service.watch({ ...request, pattern }, { ...callOptions, signal: controller.signal });
    for await (const response of stream) {
      const kind = response.kind;
      if (kind.case === "snapshot") yield { kind: "snapshot", keys: kind.value.keys, last: kind.value.last };
      else if (kind.case === "events") for (const event of kind.value.events) yield { kind: "event", event };
      else if (kind.case === "heartbeat" && heartbeats) yield { kind: "heartbeat", atMs: kind.value.atMs };
    }
  } catch (error) {
    // Cancelled by our own signal: a normal end, not an error.
    if (!signal?.aborted) throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    controller.abort();
  }
}
