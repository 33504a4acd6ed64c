import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { KeyTtlSchema, TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import { EventClass, KeyspaceEventSchema, KeyspaceEventsSchema } from "../gen/memorabilia/v1/watch_service_pb.js";
import { type EventRecord, encodeEventRecords, WRITTEN_FIELDS } from "./keyspace-events-writer.js";

const ev = (init: Parameters<typeof create<typeof KeyspaceEventSchema>>[1]) => create(KeyspaceEventSchema, init);

/** The record of a message (the fan-out's form: plain numbers). */
const recordOf = (e: ReturnType<typeof ev>): EventRecord => ({
  event: e.event,
  key: e.key,
  class: e.class,
  atMs: Number(e.atMs),
  ...(e.ttl ? { ttl: { status: e.ttl.status, ttlMs: Number(e.ttl.ttlMs), atMs: Number(e.ttl.atMs) } } : {}),
});

describe("encodeEventRecords", () => {
  it("gives toBinary's bytes, default values included", () => {
    const corpus = [
      [],
      [ev({})],
      [ev({ event: "set", key: "user:1", class: EventClass.STRING, atMs: 1_700_000_000_123n })],
      [
        ev({ event: "expire", key: "ключ 🔑", class: EventClass.GENERIC, atMs: 1n, ttl: create(KeyTtlSchema, {}) }),
        ev({
          event: "set",
          key: "k".repeat(300),
          class: EventClass.EVICTED,
          atMs: BigInt(Number.MAX_SAFE_INTEGER),
          ttl: create(KeyTtlSchema, { status: TtlStatus.EXPIRES, ttlMs: 5000n, atMs: 1_700_000_005_000n }),
        }),
        ev({ event: "persist", key: "\uFFFD", ttl: create(KeyTtlSchema, { status: TtlStatus.NO_EXPIRY }) }),
        ev({ event: "del", key: "", class: EventClass.STREAM }),
        ev({
          event: "é",
          key: "a\u00e9b",
          class: 300 as EventClass,
          atMs: -5n,
          ttl: create(KeyTtlSchema, { ttlMs: 128n, atMs: 16_384n }),
        }),
      ],
      // Every varint width, each side of its boundary (the size and writer paths per width).
      [7, 14, 21, 28, 31, 32, 35, 42, 49, 53].flatMap((bits) =>
        [-1, 0, 1].map((d) => {
          const n = BigInt(Math.min(2 ** bits + d, Number.MAX_SAFE_INTEGER));
          return ev({ event: "set", key: "k", atMs: n, ttl: create(KeyTtlSchema, { ttlMs: n, atMs: n }) });
        }),
      ),
      // Lengths past one varint byte: 200 events in one message.
      Array.from({ length: 200 }, (_, i) => ev({ event: "set", key: `k${i}`.repeat(i), atMs: BigInt(i * 1_000_003) })),
    ];
    for (const events of corpus) {
      const expected = toBinary(KeyspaceEventsSchema, create(KeyspaceEventsSchema, { events }));
      expect(encodeEventRecords(events.map(recordOf))).toEqual(expected);
      // Length-prefixed: the payload of a length-delimited field holding the message.
      const prefixed = encodeEventRecords(events.map(recordOf), true);
      const w = new BinaryWriter();
      w.bytes(expected);
      expect(prefixed).toEqual(w.finish());
    }
  });

  it("writes every field the messages have (fails when the .proto gains one)", () => {
    const names = (fields: readonly { localName: string }[]) => fields.map((f) => f.localName);
    expect(names(KeyspaceEventsSchema.fields)).toEqual(WRITTEN_FIELDS.KeyspaceEvents);
    expect(names(KeyspaceEventSchema.fields)).toEqual(WRITTEN_FIELDS.KeyspaceEvent);
    expect(names(KeyTtlSchema.fields)).toEqual(WRITTEN_FIELDS.KeyTtl);
  });
});
