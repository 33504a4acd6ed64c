/**
 * StreamReaderService.Read: XREAD / XREADGROUP as one long server-streaming call a browser can
 * hold open (gRPC-Web and Connect included). It is the blocking read repeated: each turn waits in
 * the store (blocking.ts: no lock held, woken by the write) at most one heartbeat interval, sends
 * what arrived, and reads on after it; a quiet interval sends a heartbeat. Flow control is the
 * client's own pace: the next read starts only after the previous message was taken, so a slow
 * client holds nothing but its position (entries wait in the stream, not in a queue), and the
 * stream counts against the server's cap of open streams, as Watch does.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type ReadRequest,
  type ReadResponseSchema,
  StreamReaderService,
} from "../gen/memorabilia/v1/streams_service_pb.js";
import { type Bytes, bytesFromUtf8 } from "../store/bytes.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { bin, int, invalidArgument, key } from "./args.js";
import { invoke } from "./invoke.js";
import { arrayOf, textOf } from "./replies.js";
import {
  heartbeatMs,
  type ResolvedStreamingOptions,
  resolveStreamingOptions,
  StreamCounter,
  type StreamingOptions,
} from "./streaming-options.js";
import { streamsOf } from "./streams-service.js";

type ReadMessage = MessageInitShape<typeof ReadResponseSchema>;

/** Entries per stream per message when the client asks for none, and at most. */
const DEFAULT_COUNT = 100;
const MAX_COUNT = 10_000;

/** The last ID of `key` now (`$` resolved once, so no entry falls between two reads). */
async function lastIdOf(store: Store, k: Bytes, signal: AbortSignal): Promise<string> {
  try {
    const info = arrayOf(await invoke(store, ["XINFO", "STREAM", k], signal));
    const at = info.indexOf("last-generated-id");
    return textOf(info[at + 1] as Reply);
  } catch (error) {
    // A missing key reads from the start, as XREAD's `$` on a missing key does.
    if (error instanceof Error && "code" in error && (error as { code: string }).code === "NO_SUCH_KEY") return "0-0";
    throw error;
  }
}

async function* read(
  store: Store,
  req: ReadRequest,
  signal: AbortSignal,
  options: ResolvedStreamingOptions,
): AsyncGenerator<ReadMessage> {
  if (req.streams.length === 0) throw invalidArgument("streams: at least one stream is required");
  const grouped = req.group.length > 0;
  if (!grouped && (req.consumer.length > 0 || req.noAck)) throw invalidArgument("consumer and no_ack need a group");
  if (grouped && req.consumer.length === 0) throw invalidArgument("consumer: required with a group");
  const keys = req.streams.map((s) => key(s.key));
  const count = req.count === 0 ? DEFAULT_COUNT : Math.min(req.count, MAX_COUNT);
  const idleMs = heartbeatMs(req.heartbeatMs, options);
  // Where each stream reads from: an ID (plain reads; a group's history), or `>` (a group's new entries).
  const ids: Bytes[] = [];
  for (let i = 0; i < keys.length; i++) {
    const id = req.streams[i]?.id ?? "";
    if (grouped) ids.push(id === "" ? ">" : bytesFromUtf8(id));
    else if (id === "" || id === "$") ids.push(await lastIdOf(store, keys[i] as Bytes, signal));
    else ids.push(bytesFromUtf8(id));
  }
  // A first heartbeat confirms the subscription at once (as Watch does).
  yield { kind: { case: "heartbeatAtMs", value: BigInt(store.clock.now()) } };
  for (;;) {
    // A group's history (an ID other than `>`) is read without waiting, page by page, then `>`.
    const history = grouped && ids.some((id) => id !== ">");
    const argv: Bytes[] = grouped
      ? ["XREADGROUP", "GROUP", bin(req.group), bin(req.consumer), "COUNT", int(count)]
      : ["XREAD", "COUNT", int(count)];
    if (!history) argv.push("BLOCK", int(idleMs));
    if (grouped && req.noAck) argv.push("NOACK");
    argv.push("STREAMS", ...keys, ...ids);
    const reply = await invoke(store, argv, signal);
    const streams = streamsOf(reply);
    if (history) {
      // Each history key moves past what it sent, and to `>` once its history is exhausted.
      for (let i = 0; i < keys.length; i++) {
        if (ids[i] === ">") continue;
        const s = streams.find((x) => x.key === req.streams[i]?.key);
        const got = s?.entries ?? [];
        if (got.length < count) ids[i] = ">";
        else ids[i] = bytesFromUtf8(got[got.length - 1]?.id as string);
      }
      const nonEmpty = streams.filter((s) => (s.entries?.length ?? 0) > 0);
      if (nonEmpty.length > 0) yield { kind: { case: "entries", value: { streams: nonEmpty } } };
      continue;
    }
    if (streams.length === 0) {
      yield { kind: { case: "heartbeatAtMs", value: BigInt(store.clock.now()) } };
      continue;
    }
    if (!grouped) {
      for (const s of streams) {
        const last = s.entries?.[s.entries.length - 1]?.id;
        if (last === undefined) continue;
        for (let i = 0; i < keys.length; i++) if (req.streams[i]?.key === s.key) ids[i] = bytesFromUtf8(last);
      }
    }
    yield { kind: { case: "entries", value: { streams } } };
  }
}

/** Creates the StreamReaderService implementation over `store`. */
export function createStreamReaderService(
  store: Store,
  options: StreamingOptions = {},
  streams: StreamCounter = new StreamCounter(),
): ServiceImpl<typeof StreamReaderService> {
  const resolved = resolveStreamingOptions(options);
  const procedure = `/${StreamReaderService.typeName}/${StreamReaderService.method.read.name}`;
  return {
    read(req, ctx) {
      return streams.guard(read(store, req, ctx.signal, resolved), resolved.logger, procedure);
    },
  };
}
