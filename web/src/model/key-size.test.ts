import { describe, expect, it } from "vitest";
import { createEmbeddedTransport } from "../../../shared/edge/embedded.js";
import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import { createTestStore } from "../../../shared/store/testing.js";
import { createClients } from "../api/clients.js";
import { readSize } from "./key-size.js";

describe("readSize", () => {
  const t = createTestStore();
  t.ok("SET", "s", "héllo"); // 6 bytes
  t.ok("RPUSH", "l", "a", "b", "c");
  t.ok("HSET", "h", "f1", "v", "f2", "v");
  t.ok("SADD", "set", "m");
  t.ok("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
  const clients = createClients(createEmbeddedTransport(t.store));

  it.each<[string, KeyType, number]>([
    ["s", KeyType.STRING, 6],
    ["l", KeyType.LIST, 3],
    ["h", KeyType.HASH, 2],
    ["set", KeyType.SET, 1],
    ["z", KeyType.ZSET, 4],
    ["missing", KeyType.LIST, 0],
    ["s", KeyType.NONE, -1],
    ["s", KeyType.UNSPECIFIED, -1],
  ])("%s as %s is %d", async (key, type, size) => {
    expect(await readSize(clients, key, type)).toBe(size);
  });

  it("rejects when the key changed type since it was read (the caller re-reads it)", async () => {
    await expect(readSize(clients, "l", KeyType.STRING)).rejects.toThrow("WRONGTYPE");
  });
});
