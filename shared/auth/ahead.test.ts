import { describe, expect, it } from "vitest";
import { COMMAND_ROUTES } from "../api/command-dispatch.js";
import { MEMORABILIA_SERVICES } from "../api/register.js";
import { AuthService } from "../gen/memorabilia/v1/auth_service_pb.js";
import { CommandService } from "../gen/memorabilia/v1/command_service_pb.js";
import { KeysService } from "../gen/memorabilia/v1/keys_service_pb.js";
import { ListsService } from "../gen/memorabilia/v1/lists_service_pb.js";
import { PubSubService } from "../gen/memorabilia/v1/pubsub_service_pb.js";
import { ServerService } from "../gen/memorabilia/v1/server_service_pb.js";
import { StringsService } from "../gen/memorabilia/v1/strings_service_pb.js";
import { TransactionService } from "../gen/memorabilia/v1/transaction_service_pb.js";
import { WatchService } from "../gen/memorabilia/v1/watch_service_pb.js";
import { createTestStore } from "../store/testing.js";
import { argvAccess, requestAccess as rpcAccess } from "./ahead.js";
import { maxAccess } from "./caller.js";
import { commandAccess } from "./command-access.js";

const { store } = createTestStore();
const cmds = store.commands;
const b = (t: string) => new TextEncoder().encode(t);

describe("rpcAccess", () => {
  it.each([
    [StringsService.method.get, "read"],
    [StringsService.method.set, "write"],
    [StringsService.method.mGet, "read"],
    [StringsService.method.strLen, "read"],
    [KeysService.method.ttl, "read"],
    [KeysService.method.scan, "read"],
    [KeysService.method.del, "write"],
    [KeysService.method.flushAll, "admin"],
    [ListsService.method.push, "write"],
    [ListsService.method.lRange, "read"],
  ] as const)("%s needs %s", (method, access) => {
    expect(rpcAccess(cmds, method)).toBe(access);
  });

  it("judges Execute by the command line it carries, and counts it a write without one", () => {
    const execute = CommandService.method.execute;
    expect(rpcAccess(cmds, execute, { args: [b("get"), b("k")] })).toBe("read");
    expect(rpcAccess(cmds, execute, { args: [b("SET"), b("k"), b("v")] })).toBe("write");
    expect(rpcAccess(cmds, execute, { args: [b("FLUSHALL")] })).toBe("admin");
    expect(rpcAccess(cmds, execute, { args: [b("NOSUCH")] })).toBe("write");
    // Without the message (a stream's), nothing can be judged: only admin.
    expect(rpcAccess(cmds, execute)).toBe("admin");
  });

  it("judges Exec and Batch by their most demanding command, raw or typed", () => {
    const batch = TransactionService.method.batch;
    const get = { kind: { case: "get", value: { key: "a" } } };
    const hGetAll = { kind: { case: "hGetAll", value: { key: "h" } } };
    const raw = (...args: string[]) => ({ kind: { case: "raw", value: { args: args.map(b) } } });
    expect(rpcAccess(cmds, batch, { commands: [get, hGetAll, raw("PING")] })).toBe("read");
    expect(rpcAccess(cmds, batch, { commands: [get, { kind: { case: "push", value: {} } }] })).toBe("write");
    expect(rpcAccess(cmds, batch, { commands: [get, raw("DEL", "a")] })).toBe("write");
    expect(rpcAccess(cmds, TransactionService.method.exec, { commands: [raw("FLUSHALL")] })).toBe("admin");
    expect(rpcAccess(cmds, batch, { commands: [{ kind: { case: undefined } }] })).toBe("admin");
    expect(rpcAccess(cmds, batch, { commands: [] })).toBe("read");
    expect(rpcAccess(cmds, TransactionService.method.pipeline)).toBe("admin");
  });

  it("judges every typed command a Batch can carry as its RPC, whatever the spelling of its case", () => {
    const batch = TransactionService.method.batch;
    // Each Command case (`hmGet`, `zmPop`, `bitFieldRo`, …) needs what its RPC alone needs.
    for (const [name, route] of COMMAND_ROUTES) {
      if (name === "raw") continue;
      const alone = rpcAccess(cmds, route.method, {});
      expect([name, rpcAccess(cmds, batch, { commands: [{ kind: { case: name, value: {} } }] })]).toEqual([
        name,
        alone,
      ]);
    }
  });

  it("never reads command lines out of a request that has no such field", () => {
    expect(rpcAccess(cmds, KeysService.method.del, { args: [b("GET")] })).toBe("write");
  });

  it("gives every data RPC a read access exactly when its command is readonly", () => {
    for (const service of MEMORABILIA_SERVICES) {
      for (const method of service.methods) {
        const spec = cmds.get(method.name.toUpperCase());
        if (spec !== undefined)
          expect([method.name, rpcAccess(cmds, method)]).toEqual([method.name, commandAccess(spec)]);
      }
    }
  });

  it("leaves RPCs that run no store command to their rule", () => {
    for (const method of [
      AuthService.method.whoAmI,
      WatchService.method.watch,
      PubSubService.method.publish,
      ServerService.method.getConfig,
      CommandService.method.listCommands,
    ])
      expect(rpcAccess(cmds, method)).toBeUndefined();
  });
});

describe("commandAccess and argvAccess", () => {
  it.each([
    ["GET", "read"],
    ["PING", "read"],
    ["SET", "write"],
    ["FLUSHDB", "admin"],
    ["flushall", "admin"],
    ["unknown", "write"],
  ] as const)("%s -> %s", (name, access) => {
    expect(argvAccess(cmds, [name])).toBe(access);
  });

  it("takes the larger of two accesses", () => {
    expect(maxAccess("read", "write")).toBe("write");
    expect(maxAccess("admin", "read")).toBe("admin");
    expect(maxAccess("read", "read")).toBe("read");
    expect(argvAccess(cmds, [])).toBe("read");
  });
});
