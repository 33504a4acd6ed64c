import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CommandService, ExecuteResponseSchema, ReplySchema } from "../gen/memorabilia/v1/command_service_pb.js";
import { StoreError } from "../store/errors.js";
import { type Reply, Status } from "../store/reply.js";
import { createTestStore } from "../store/testing.js";
import { registerMemorabiliaServices } from "./register.js";
import { encodeReply, preEncodedExecuteResponse } from "./reply-encoding.js";
import { replyMessage } from "./reply-message.js";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** A seeded generator (mulberry32), so a failure is reproducible. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random reply tree: every kind, lengths around the varint boundaries. */
function randomReply(r: () => number, depth: number): Reply {
  const k = Math.floor(r() * 12);
  switch (k) {
    case 0:
      return null;
    case 1:
      return [0, 1, 127, 128, 16383, 16384, 2 ** 31, Number.MAX_SAFE_INTEGER, -1, -(2 ** 40)][
        Math.floor(r() * 10)
      ] as number;
    case 2:
      return [0n, 2n ** 63n - 1n, -(2n ** 63n), 5n][Math.floor(r() * 4)] as bigint;
    case 3:
      return new Status(["OK", "", "QUEUED", "ünï"][Math.floor(r() * 4)] as string);
    case 4:
      return new StoreError("WRONGTYPE");
    case 5:
    case 6:
      if (depth < 4) return Array.from({ length: Math.floor(r() * 8) }, () => randomReply(r, depth + 1));
      return [];
    default: {
      const n = [0, 1, 5, 127, 128, 300, 16384][Math.floor(r() * 7)] as number;
      return Array.from({ length: n }, () => String.fromCharCode(Math.floor(r() * 256))).join("");
    }
  }
}

describe("encodeReply", () => {
  it("writes the bytes toBinary writes for replyMessage's tree, for every kind and nesting", () => {
    const fixed: Reply[] = [
      null,
      0,
      "",
      "\x00\xff",
      new Status("OK"),
      new StoreError("SYNTAX", "ERR bad \xc3\x8b"),
      [],
      [[], [[null]]],
      Array.from({ length: 20_000 }, (_, i) => `member:${i}`), // a body past 2 varint bytes
      Array.from({ length: 130 }, () => "x".repeat(130)),
    ];
    const r = rng(7);
    const replies = [...fixed, ...Array.from({ length: 400 }, () => randomReply(r, 0))];
    for (const reply of replies) {
      expect(hex(encodeReply(reply))).toBe(hex(toBinary(ReplySchema, replyMessage(reply))));
    }
  });

  it("keeps no state between replies (a failed encoding leaves the next one right)", () => {
    expect(() => encodeReply([1.5])).toThrow(TypeError);
    const reply: Reply = ["a", [new Status("OK"), 2], null];
    expect(hex(encodeReply(reply))).toBe(hex(toBinary(ReplySchema, replyMessage(reply))));
  });

  it("an ExecuteResponse carrying the bytes is written as the one carrying the message, and decodes to it", () => {
    const reply: Reply = ["a", -3, [new StoreError("WRONGTYPE"), null], new Status("OK")];
    const expected = toBinary(ExecuteResponseSchema, create(ExecuteResponseSchema, { reply: replyMessage(reply) }));
    const bytes = toBinary(ExecuteResponseSchema, preEncodedExecuteResponse(reply));
    expect(hex(bytes)).toBe(hex(expected));
    expect(fromBinary(ExecuteResponseSchema, bytes).reply).toEqual(replyMessage(reply));
  });

  it("Execute answers binary and JSON calls with the same reply", async () => {
    const t = createTestStore();
    const enc = (s: string) => new TextEncoder().encode(s);
    await t.store.exec(["RPUSH", "l", "a", "\xff", "", "x".repeat(300)]);
    const replies = [];
    for (const useBinaryFormat of [true, false]) {
      const transport = createRouterTransport((router) => registerMemorabiliaServices(router, t.store), {
        transport: { useBinaryFormat },
      });
      const client = createClient(CommandService, transport);
      const { reply } = await client.execute({ args: ["LRANGE", "l", "0", "-1"].map(enc) });
      replies.push(reply);
    }
    expect(replies[0]?.kind.case).toBe("array");
    expect(replies[0]).toEqual(replies[1]);
  });
});
