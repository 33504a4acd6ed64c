import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { KeyTtlSchema, TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import { EventClass, KeyspaceEventSchema, KeyspaceEventsSchema } from "../gen/memorabilia/v1/watch_service_pb.js";
import { encodeKeyspaceEvents, WRITTEN_FIELDS } from "./keyspace-events-writer.js";

const ev = (init: Parameters<typeof create<typeof KeyspaceEventSchema>>[1]) => create(KeyspaceEventSchema, init);

describe("encodeKeyspaceEvents", () => {
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
          atMs: 2n ** 62n,
          ttl: create(KeyTtlSchema, { status: TtlStatus.EXPIRES, ttlMs: 5000n, atMs: 1_700_000_005_000n }),
        }),
        ev({ event: "persist", key: "\uFFFD", ttl: create(KeyTtlSchema, { status: TtlStatus.NO_EXPIRY }) }),
        ev({ event: "del", key: "", class: EventClass.STREAM }),
      ],
    ];
    for (const events of corpus)
      expect(encodeKeyspaceEvents(events)).toEqual(
        toBinary(KeyspaceEventsSchema, create(KeyspaceEventsSchema, { events })),
      );
  });

  it("writes every field the messages have (fails when the .proto gains one)", () => {
    const names = (fields: readonly { localName: string }[]) => fields.map((f) => f.localName);
    expect(names(KeyspaceEventsSchema.fields)).toEqual(WRITTEN_FIELDS.KeyspaceEvents);
    expect(names(KeyspaceEventSchema.fields)).toEqual(WRITTEN_FIELDS.KeyspaceEvent);
    expect(names(KeyTtlSchema.fields)).toEqual(WRITTEN_FIELDS.KeyTtl);
  });
});
