/**
 * StreamsService: the stream commands (XADD, XRANGE, XREAD, XREADGROUP, XACK, XGROUP CREATE, …)
 * over the store. IDs travel as Redis's text (`ms-seq`, `*`, `$`, `>`, `(id`).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type StreamEntriesSchema,
  type StreamEntrySchema,
  type StreamOffset,
  StreamsService,
  type StreamTrim,
} from "../gen/memorabilia/v1/streams_service_pb.js";
import { type Bytes, bytesFromUtf8 } from "../store/bytes.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { bin, int, invalidArgument, key, required } from "./args.js";
import { invoke } from "./invoke.js";
import { arrayOf, boolOf, bytesOf, int64Of, pairsOf, textOf } from "./replies.js";
import { guarded, type ServiceOptions } from "./service-options.js";

type EntryInit = MessageInitShape<typeof StreamEntrySchema>;
type EntriesInit = MessageInitShape<typeof StreamEntriesSchema>;

/** An ID argument: the client's text, or `fallback` when empty. */
const idArg = (text: string, fallback: string): Bytes => bytesFromUtf8(text === "" ? fallback : text);

/** `[id, [field, value, …]]` as a StreamEntry (a nil field list: an entry deleted meanwhile). */
export function entryOf(reply: Reply): EntryInit {
  const [id, flat] = arrayOf(reply);
  if (flat === null || flat === undefined) return { id: textOf(id as Reply), fields: [] };
  return {
    id: textOf(id as Reply),
    fields: pairsOf(flat).map(([f, v]) => ({ field: bytesOf(f), value: bytesOf(v) })),
  };
}

/** A range reply (nil: COUNT 0) as entries. */
export const entriesOf = (reply: Reply): EntryInit[] => (reply === null ? [] : arrayOf(reply).map(entryOf));

/** XREAD / XREADGROUP's `[[key, entries], …]` (nil: nothing) as StreamEntries. */
export function streamsOf(reply: Reply): EntriesInit[] {
  if (reply === null) return [];
  return arrayOf(reply).map((s) => {
    const [k, entries] = arrayOf(s);
    const out: EntriesInit = { key: textOf(k as Reply), entries: [], deletedIds: [] };
    for (const e of arrayOf(entries as Reply)) {
      const entry = entryOf(e);
      (out.entries as EntryInit[]).push(entry);
      if (arrayOf(e)[1] === null) (out.deletedIds as string[]).push(entry.id as string);
    }
    return out;
  });
}

/** The MAXLEN/MINID option's arguments. */
export function trimArgs(trim: StreamTrim): Bytes[] {
  const t = trim.threshold;
  if (t.case === undefined) throw invalidArgument("trim.threshold: max_len or min_id is required");
  const out: Bytes[] = [t.case === "maxLen" ? "MAXLEN" : "MINID"];
  if (trim.approximate) out.push("~");
  out.push(t.case === "maxLen" ? int(t.value) : bytesFromUtf8(t.value));
  if (trim.limit !== undefined) out.push("LIMIT", int(trim.limit));
  return out;
}

/** `STREAMS key … id …` of a read; empty IDs are `fallback` (`$` or `>`). */
export function streamsArgs(streams: readonly StreamOffset[], fallback: string): Bytes[] {
  if (streams.length === 0) throw invalidArgument("streams: at least one stream is required");
  return ["STREAMS", ...streams.map((s) => key(s.key)), ...streams.map((s) => idArg(s.id, fallback))];
}

/** Creates the StreamsService implementation over `store`. */
export function createStreamsService(store: Store, options: ServiceOptions = {}): ServiceImpl<typeof StreamsService> {
  return guarded(
    StreamsService,
    {
      async xAdd(req, ctx) {
        const argv: Bytes[] = ["XADD", key(req.key)];
        if (req.noMkstream) argv.push("NOMKSTREAM");
        if (req.trim !== undefined) argv.push(...trimArgs(req.trim));
        argv.push(idArg(req.id, "*"), ...req.fields.flatMap((f) => [bin(f.field), bin(f.value)]));
        const reply = await invoke(store, argv, ctx);
        return reply === null ? {} : { id: textOf(reply) };
      },
      async xRange(req, ctx) {
        const argv = ["XRANGE", key(req.key), idArg(req.start, "-"), idArg(req.end, "+")];
        if (req.count !== undefined) argv.push("COUNT", int(req.count));
        return { entries: entriesOf(await invoke(store, argv, ctx)) };
      },
      async xRevRange(req, ctx) {
        const argv = ["XREVRANGE", key(req.key), idArg(req.end, "+"), idArg(req.start, "-")];
        if (req.count !== undefined) argv.push("COUNT", int(req.count));
        return { entries: entriesOf(await invoke(store, argv, ctx)) };
      },
      async xLen(req, ctx) {
        return { length: int64Of(await invoke(store, ["XLEN", key(req.key)], ctx)) };
      },
      async xDel(req, ctx) {
        const argv = ["XDEL", key(req.key), ...req.ids.map(bytesFromUtf8)];
        return { deleted: int64Of(await invoke(store, argv, ctx)) };
      },
      async xTrim(req, ctx) {
        const argv = ["XTRIM", key(req.key), ...trimArgs(required(req.trim, "trim"))];
        return { removed: int64Of(await invoke(store, argv, ctx)) };
      },
      async xRead(req, ctx) {
        const argv: Bytes[] = ["XREAD"];
        if (req.count !== undefined) argv.push("COUNT", int(req.count));
        argv.push(...streamsArgs(req.streams, "$"));
        return { streams: streamsOf(await invoke(store, argv, ctx)) };
      },
      async xReadGroup(req, ctx) {
        const argv: Bytes[] = ["XREADGROUP", "GROUP", bin(req.group), bin(req.consumer)];
        if (req.count !== undefined) argv.push("COUNT", int(req.count));
        if (req.noAck) argv.push("NOACK");
        argv.push(...streamsArgs(req.streams, ">"));
        return { streams: streamsOf(await invoke(store, argv, ctx)) };
      },
      async xAck(req, ctx) {
        const argv = ["XACK", key(req.key), bin(req.group), ...req.ids.map(bytesFromUtf8)];
        return { acknowledged: int64Of(await invoke(store, argv, ctx)) };
      },
      async xGroupCreate(req, ctx) {
        const argv = ["XGROUP", "CREATE", key(req.key), bin(req.group), idArg(req.id, "$")];
        if (req.mkstream) argv.push("MKSTREAM");
        if (req.entriesRead !== undefined) argv.push("ENTRIESREAD", int(req.entriesRead));
        await invoke(store, argv, ctx);
        return {};
      },
      async xGroupDestroy(req, ctx) {
        const reply = await invoke(store, ["XGROUP", "DESTROY", key(req.key), bin(req.group)], ctx);
        return { destroyed: boolOf(reply) };
      },
      async xPending(req, ctx) {
        const [count, smallest, largest, consumers] = arrayOf(
          await invoke(store, ["XPENDING", key(req.key), bin(req.group)], ctx),
        );
        return {
          pending: int64Of(count as Reply),
          smallestId: smallest === null ? undefined : textOf(smallest as Reply),
          largestId: largest === null ? undefined : textOf(largest as Reply),
          consumers:
            consumers === null
              ? []
              : arrayOf(consumers as Reply).map((c) => {
                  const [name, n] = arrayOf(c);
                  return { consumer: bytesOf(name as Reply), pending: BigInt(textOf(n as Reply)) };
                }),
        };
      },
      async xAutoClaim(req, ctx) {
        const argv = [
          "XAUTOCLAIM",
          key(req.key),
          bin(req.group),
          bin(req.consumer),
          int(req.minIdleMs),
          idArg(req.start, "0-0"),
        ];
        if (req.count !== undefined) argv.push("COUNT", int(req.count));
        if (req.justId) argv.push("JUSTID");
        const [next, claimed, deleted] = arrayOf(await invoke(store, argv, ctx));
        const list = arrayOf(claimed as Reply);
        return {
          nextStart: textOf(next as Reply),
          entries: req.justId ? [] : list.map(entryOf),
          ids: req.justId ? list.map((r) => textOf(r)) : [],
          deletedIds: arrayOf(deleted as Reply).map((r) => textOf(r)),
        };
      },
    },
    options,
  );
}
