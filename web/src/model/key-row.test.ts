import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { KeyInfoSchema } from "../../../shared/gen/memorabilia/v1/keys_service_pb.js";
import { type KeyTtl, KeyTtlSchema, KeyType, TtlStatus } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import { EventClass } from "../../../shared/gen/memorabilia/v1/watch_service_pb.js";
import { deadlineOf, rowOf, typeOfClass } from "./key-row.js";

const ttl = (status: TtlStatus, ttlMs = 0): KeyTtl => create(KeyTtlSchema, { status, ttlMs: BigInt(ttlMs) });

describe("deadlineOf", () => {
  const now = 5_000;
  it.each<[string, KeyTtl | undefined, number | null]>([
    ["no TTL read", undefined, null],
    ["no expiry", ttl(TtlStatus.NO_EXPIRY), null],
    ["unspecified", ttl(TtlStatus.UNSPECIFIED, 123), null],
    ["a gone key expires now", ttl(TtlStatus.NO_SUCH_KEY), now],
    ["expires in 1500 ms", ttl(TtlStatus.EXPIRES, 1500), now + 1500],
    ["expires in 0 ms", ttl(TtlStatus.EXPIRES, 0), now],
  ])("%s", (_, t, expected) => {
    expect(deadlineOf(t, now)).toBe(expected);
  });
});

describe("rowOf", () => {
  it("makes a scanned, clean row with a local deadline", () => {
    const info = create(KeyInfoSchema, { key: "k", type: KeyType.HASH, ttl: ttl(TtlStatus.EXPIRES, 2000), size: 7n });
    expect(rowOf(info, 100)).toEqual({
      key: "k",
      type: KeyType.HASH,
      deadline: 2100,
      size: 7,
      memory: -1,
      liveAt: 0,
      dirty: false,
      readAt: 100,
    });
  });
});

describe("typeOfClass", () => {
  it.each<[EventClass, KeyType]>([
    [EventClass.STRING, KeyType.STRING],
    [EventClass.LIST, KeyType.LIST],
    [EventClass.HASH, KeyType.HASH],
    [EventClass.SET, KeyType.SET],
    [EventClass.ZSET, KeyType.ZSET],
    [EventClass.GENERIC, KeyType.UNSPECIFIED],
    [EventClass.EXPIRED, KeyType.UNSPECIFIED],
    [EventClass.UNSPECIFIED, KeyType.UNSPECIFIED],
  ])("class %s is type %s", (cls, type) => {
    expect(typeOfClass(cls)).toBe(type);
  });
});
