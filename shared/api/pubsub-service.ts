/**
 * PubSubService: PUBLISH, and SUBSCRIBE/PSUBSCRIBE as a server stream (heartbeats on idle
 * streams, RESOURCE_EXHAUSTED for a reader that falls behind), over a {@link PubSubHub}.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  PubSubService,
  type SubscribeRequest,
  type SubscribeResponseSchema,
} from "../gen/memorabilia/v1/pubsub_service_pb.js";
import { bytesFromUtf8, bytesToArray, bytesToUtf8 } from "../store/bytes.js";
import type { Clock } from "../store/clock.js";
import type { PubSubHub, PubSubMessage } from "../store/pubsub.js";
import { bin, invalidArgument, key } from "./args.js";
import { checkSignal } from "./invoke.js";
import { guarded } from "./service-options.js";
import { StreamQueue } from "./stream-queue.js";
import {
  heartbeatMs,
  type ResolvedStreamingOptions,
  resolveStreamingOptions,
  StreamCounter,
  type StreamingOptions,
} from "./streaming-options.js";

type SubscribeMessage = MessageInitShape<typeof SubscribeResponseSchema>;

/** What a message takes on the wire: its bytes, names and framing (the overhead is an estimate). */
const messageBytes = (m: PubSubMessage): number => m.channel.length + m.message.length + (m.pattern?.length ?? 0) + 32;

/** The stream of one Subscribe call. */
async function* subscribe(
  hub: PubSubHub,
  clock: Clock,
  req: SubscribeRequest,
  signal: AbortSignal,
  options: ResolvedStreamingOptions,
  streams: StreamCounter,
): AsyncGenerator<SubscribeMessage> {
  if (req.channels.length === 0 && req.patterns.length === 0) {
    throw invalidArgument("channels or patterns: at least one is required");
  }
  const idleMs = heartbeatMs(req.heartbeatMs, options);
  let close = (): void => {};
  const queue = new StreamQueue<PubSubMessage>({
    limits: options.queueLimits,
    fellBehind: "subscriber fell behind",
    sizeOf: messageBytes,
    now: options.monotonicNow,
    onFail: () => close(),
    onOverflow: (reason) => streams.countOverflow(reason),
    budget: streams.budget,
  });
  const sub = hub.subscriber((m) => queue.push(m));
  close = () => sub.close();
  const onAbort = (): void => sub.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    sub.subscribe(req.channels.map(key));
    sub.psubscribe(req.patterns.map(key));
    yield {
      kind: { case: "subscribed", value: { channels: BigInt(sub.channels.size), patterns: BigInt(sub.patterns.size) } },
    };
    for (;;) {
      const take = await queue.next(idleMs, signal, 1);
      if ("idle" in take) {
        yield { kind: { case: "heartbeat", value: { atMs: BigInt(clock.now()) } } };
        continue;
      }
      for (const m of take.items) {
        yield {
          kind: {
            case: "message",
            value: {
              channel: bytesToUtf8(m.channel),
              message: bytesToArray(m.message),
              pattern: m.pattern === undefined ? undefined : bytesToUtf8(m.pattern),
            },
          },
        };
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    sub.close();
    queue.close();
  }
}

/** Creates the PubSubService implementation over `hub` (`clock` stamps heartbeats). */
export function createPubSubService(
  hub: PubSubHub,
  clock: Clock,
  options: StreamingOptions = {},
  streams: StreamCounter = new StreamCounter(),
): ServiceImpl<typeof PubSubService> {
  const resolved = resolveStreamingOptions(options);
  const procedure = `/${PubSubService.typeName}/${PubSubService.method.subscribe.name}`;
  const unary = guarded(
    PubSubService,
    {
      /* PUBLISH channel message */
      async publish(req, ctx) {
        checkSignal(ctx);
        return { receivers: BigInt(hub.publishFromClient(key(req.channel), bin(req.message))) };
      },
      /* PUBSUB CHANNELS [pattern], PUBSUB NUMSUB, PUBSUB NUMPAT */
      async channels(req, ctx) {
        checkSignal(ctx);
        const names = hub.channels(req.pattern === "" ? undefined : bytesFromUtf8(req.pattern)).sort();
        return {
          channels: names.map((c) => ({ channel: bytesToUtf8(c), subscribers: BigInt(hub.numsub(c)) })),
          patterns: BigInt(hub.numpat()),
        };
      },
      // Subscribe is added below: guarded() wraps unary handlers only.
    } as ServiceImpl<typeof PubSubService>,
    options,
  );
  return {
    ...unary,
    subscribe(req, ctx) {
      return streams.guard(subscribe(hub, clock, req, ctx.signal, resolved, streams), resolved.logger, procedure);
    },
  };
}
