import { describe, expect, it } from "vitest";
import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import { formatBytes, formatCount, formatSize, formatTtl, KEY_TYPES, typeName, untilNextSecond } from "./format.js";

describe("formatTtl", () => {
  const now = 1_000_000;
  it.each<[number | null, string]>([
    [null, "—"],
    [now, "expired"],
    [now - 5, "expired"],
    [now + 1, "1s"], // rounds up: 1s until the last millisecond
    [now + 1000, "1s"],
    [now + 1001, "2s"],
    [now + 59_000, "59s"],
    [now + 59_001, "1m 00s"],
    [now + 60_000, "1m 00s"],
    [now + 303_000, "5m 03s"],
    [now + 3_599_000, "59m 59s"],
    [now + 3_600_000, "1h 00m"],
    [now + 7_800_000, "2h 10m"],
    [now + 86_399_000, "23h 59m"],
    [now + 86_400_000, "1d 0h"],
    [now + (3 * 24 + 4) * 3_600_000, "3d 4h"],
  ])("deadline %s shows %j", (deadline, expected) => {
    expect(formatTtl(deadline, now)).toBe(expected);
  });

  it("counts down one second per second", () => {
    const deadline = now + 3000;
    expect([0, 1000, 2000, 2999, 3000].map((t) => formatTtl(deadline, now + t))).toEqual([
      "3s",
      "2s",
      "1s",
      "1s",
      "expired",
    ]);
  });
});

describe("untilNextSecond", () => {
  it.each<[number, number]>([
    [1_000_000, 1005],
    [1_000_001, 1004],
    [1_000_999, 6],
    [1_000_500, 505],
  ])("from %d waits %d ms", (now, ms) => {
    expect(untilNextSecond(now)).toBe(ms);
    expect((now + ms) % 1000).toBe(5); // just past a whole second
  });
});

describe("sizes and counts", () => {
  it.each<[number, string]>([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [10 * 1024, "10 KiB"],
    [3.2 * 1024 * 1024, "3.2 MiB"],
    [5 * 1024 ** 3, "5.0 GiB"],
    [2048 * 1024 ** 4, "2048 TiB"],
  ])("%d bytes is %j", (n, expected) => {
    expect(formatBytes(n)).toBe(expected);
  });

  it.each<[KeyType, number, string]>([
    [KeyType.STRING, 512, "512 B"],
    [KeyType.STRING, 2048, "2.0 KiB"],
    [KeyType.LIST, 1, "1 item"],
    [KeyType.HASH, 0, "0 items"],
    [KeyType.ZSET, 1234567, "1,234,567 items"],
  ])("type %s size %d is %j", (type, size, expected) => {
    expect(formatSize(type, size)).toBe(expected);
  });

  it.each<[number | bigint, string]>([
    [0, "0"],
    [1000, "1,000"],
    [1_000_000n, "1,000,000"],
  ])("count %s is %j", (n, expected) => {
    expect(formatCount(n)).toBe(expected);
  });
});

describe("typeName", () => {
  it.each<[KeyType, string]>([
    [KeyType.STRING, "string"],
    [KeyType.LIST, "list"],
    [KeyType.HASH, "hash"],
    [KeyType.SET, "set"],
    [KeyType.ZSET, "zset"],
    [KeyType.NONE, "none"],
    [KeyType.UNSPECIFIED, "?"],
  ])("%s is %j", (type, name) => {
    expect(typeName(type)).toBe(name);
  });

  it("the menu lists the five concrete types", () => {
    expect(KEY_TYPES.map(typeName)).toEqual(["string", "list", "hash", "set", "zset"]);
  });
});
