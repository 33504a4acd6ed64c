import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CommandGroup, ReplySchema } from "../gen/memorabilia/v1/command_service_pb.js";
import { StoreError } from "../store/errors.js";
import { OK } from "../store/reply.js";
import { replyMessage } from "./reply-message.js";
import { b, createTestApi, rpcError, s } from "./testing.js";

const args = (...argv: string[]) => ({ args: argv.map(b) });

describe("CommandService.Execute", () => {
  it("replies with each kind: status, bulk, nil, integer, array", async () => {
    const api = createTestApi();
    const set = await api.commands.execute(args("SET", "k", "v"));
    expect(set.reply?.kind).toEqual({ case: "status", value: "OK" });
    const get = await api.commands.execute(args("get", "k"));
    expect(get.reply?.kind.case).toBe("bulk");
    expect(s(get.reply?.kind.value as Uint8Array)).toBe("v");
    expect((await api.commands.execute(args("GET", "missing"))).reply?.kind.case).toBe("nil");
    expect((await api.commands.execute(args("STRLEN", "k"))).reply?.kind).toEqual({ case: "integer", value: 1n });
    const scan = await api.commands.execute(args("SCAN", "0"));
    expect(scan.reply?.kind.case).toBe("array");
  });

  it("tells an empty bulk from nil, and an empty array from a nil one", async () => {
    const api = createTestApi();
    api.ok("SET", "e", "");
    expect((await api.commands.execute(args("GET", "e"))).reply?.kind).toEqual({
      case: "bulk",
      value: new Uint8Array(),
    });
    expect((await api.commands.execute(args("LRANGE", "nope", "0", "-1"))).reply?.kind).toMatchObject({
      case: "array",
      value: { elements: [] },
    });
    expect((await api.commands.execute(args("LPOP", "nope", "2"))).reply?.kind.case).toBe("nil");
  });

  it("carries int64 integers exactly", async () => {
    const api = createTestApi();
    api.ok("SET", "n", "9223372036854775806");
    expect((await api.commands.execute(args("INCR", "n"))).reply?.kind).toEqual({
      case: "integer",
      value: 9223372036854775807n,
    });
  });

  it("passes arguments byte for byte", async () => {
    const api = createTestApi();
    const raw = new Uint8Array([0, 255, 10, 13]);
    await api.commands.execute({ args: [b("SET"), b("bin"), raw] });
    expect((await api.commands.execute(args("GET", "bin"))).reply?.kind.value).toEqual(raw);
  });

  it("maps command errors like every other RPC", async () => {
    const api = createTestApi();
    api.ok("RPUSH", "l", "a");
    expect((await rpcError(api.commands.execute(args("GET", "l")))).code).toBe(Code.FailedPrecondition);
    const unknown = await rpcError(api.commands.execute(args("NOPE", "x")));
    expect(unknown.code).toBe(Code.InvalidArgument);
    expect(unknown.rawMessage).toMatch(/^ERR unknown command 'NOPE', with args beginning with: 'x'/);
    expect((await rpcError(api.commands.execute({ args: [] }))).code).toBe(Code.InvalidArgument);
  });

  it("replyMessage renders errors inside arrays (EXEC results) and statuses", () => {
    const tree = replyMessage([OK, new StoreError("WRONGTYPE"), [1, null]]);
    expect(tree).toEqual(
      create(ReplySchema, {
        kind: {
          case: "array",
          value: {
            elements: [
              { kind: { case: "status", value: "OK" } },
              {
                kind: {
                  case: "error",
                  value: {
                    code: "WRONGTYPE",
                    message: "WRONGTYPE Operation against a key holding the wrong kind of value",
                  },
                },
              },
              {
                kind: {
                  case: "array",
                  value: { elements: [{ kind: { case: "integer", value: 1n } }, { kind: { case: "nil", value: {} } }] },
                },
              },
            ],
          },
        },
      }),
    );
  });
});

describe("CommandService.ListCommands", () => {
  it("lists the whole table once per command, with its metadata", async () => {
    const api = createTestApi();
    const { commands } = await api.commands.listCommands({});
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(new Set(api.store.commands.values()).size);
    const set = commands.find((c) => c.name === "SET");
    expect(set).toMatchObject({ arity: -3, firstKey: 1, lastKey: 1, step: 1, group: CommandGroup.STRING });
    expect(set?.flags).toContain("write");
    expect(set?.syntax).toMatch(/^SET key value/);
    expect(set?.summary).not.toBe("");
    expect(set?.complexity).toBe("O(1)");
  });

  it("filters by group and rejects an unknown group", async () => {
    const api = createTestApi();
    const { commands } = await api.commands.listCommands({ group: CommandGroup.LIST });
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.every((c) => c.group === CommandGroup.LIST)).toBe(true);
    expect(commands.map((c) => c.name)).toContain("LPUSH");
    expect((await rpcError(api.commands.listCommands({ group: 42 as CommandGroup }))).code).toBe(Code.InvalidArgument);
  });
});
