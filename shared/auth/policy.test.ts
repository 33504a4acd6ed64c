import type { DescService } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ALL_COMMANDS, createCommandTable } from "../store/commands.js";
import { StoreError } from "../store/errors.js";
import { authorize, authorizeCommand, rpcDenial } from "./authorize.js";
import { createCaller } from "./caller.js";
import { commandAccess, PROTOCOL_COMMANDS } from "./command-access.js";
import { RPC_RULES, rpcRule } from "./rpc-rules.js";

const table = createCommandTable();

/**
 * Every service the server serves, from every generated module (shared/gen), found by walking the
 * modules' exports. gen/etcd is etcd's own API, which the etcd engine calls as a client.
 */
const GENERATED: DescService[] = Object.values(
  import.meta.glob(["../gen/**/*_pb.ts", "!../gen/etcd/**"], { eager: true }),
).flatMap((module) =>
  Object.values(module as Record<string, unknown>).filter(
    (v): v is DescService => typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "service",
  ),
);

const spec = (name: string) => table.get(name) as NonNullable<ReturnType<typeof table.get>>;

/** The NOPERM message `run` throws, or undefined when it passes. */
function denied(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("NOPERM");
    return (error as StoreError).message;
  }
}

describe("the authorization policy classifies everything", () => {
  it("finds the generated services (the walk is not empty)", () => {
    const names = GENERATED.map((s) => s.typeName);
    expect(names).toEqual(expect.arrayContaining(["memorabilia.v1.StringsService", "grpc.health.v1.Health"]));
    expect(names.length).toBeGreaterThanOrEqual(14);
  });

  it("classifies EVERY RPC of every generated service (add a rule when you add an RPC)", () => {
    const unclassified = GENERATED.flatMap((s) =>
      s.methods.filter((m) => rpcRule(s.typeName, m.name, table) === undefined).map((m) => `${s.typeName}/${m.name}`),
    );
    expect(unclassified).toEqual([]);
  });

  it("names only commands that exist and are classified in its RPC rules", () => {
    for (const s of GENERATED)
      for (const m of s.methods) {
        const rule = rpcRule(s.typeName, m.name, table);
        if (rule?.kind === "commands")
          for (const name of rule.commands) expect([m.name, name, commandAccess(spec(name))]).not.toContain(undefined);
      }
    // Every explicit rule names an RPC that exists (a renamed RPC leaves no stale rule behind).
    const procedures = new Set(GENERATED.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)));
    expect(Object.keys(RPC_RULES).filter((p) => !procedures.has(p))).toEqual([]);
  });

  it("classifies EVERY command of the command table (give it a readonly/write flag or a FLAGLESS entry)", () => {
    expect(ALL_COMMANDS.filter((c) => commandAccess(c) === undefined).map((c) => c.name)).toEqual([]);
  });

  it("refuses what it does not classify: an unknown RPC, a command without a data flag", () => {
    const admin = createCaller("ops", "admin");
    expect(rpcRule("memorabilia.v1.NewService", "Anything", table)).toBeUndefined();
    expect(rpcRule("memorabilia.v1.StringsService", "NotACommand", table)).toBeUndefined();
    expect(rpcDenial(admin, "Anything", undefined)).toMatch(/does not classify it/);
    const bare = { ...spec("GET"), name: "NEWCMD", flags: [] as const };
    expect(denied(() => authorizeCommand(admin, bare, ["NEWCMD"]))).toMatch(/does not classify it/);
  });
});

describe("deciding", () => {
  const ro = createCaller("dash", "readonly");
  const rw = createCaller("app", "readwrite", ["user:*"]);
  const admin = createCaller("ops", "admin");

  it("refuses a command when the host found no caller (never fails open)", () => {
    expect(denied(() => authorizeCommand(undefined, spec("GET"), ["GET", "k"]))).toBe(
      "NOPERM no authenticated caller may run the 'get' command",
    );
  });

  it("checks roles and key patterns per command", () => {
    expect(denied(() => authorizeCommand(ro, spec("GET"), ["GET", "k"]))).toBeUndefined();
    expect(denied(() => authorizeCommand(ro, spec("SET"), ["SET", "k", "v"]))).toMatch(/read-only token/);
    expect(denied(() => authorizeCommand(rw, spec("FLUSHALL"), ["FLUSHALL"]))).toMatch(/admin only/);
    expect(denied(() => authorizeCommand(rw, spec("SET"), ["SET", "user:1", "v"]))).toBeUndefined();
    expect(denied(() => authorizeCommand(rw, spec("SET"), ["SET", "other", "v"]))).toMatch(/outside its key patterns/);
    expect(denied(() => authorizeCommand(rw, spec("KEYS"), ["KEYS", "user:*"]))).toBeUndefined();
    expect(denied(() => authorizeCommand(rw, spec("KEYS"), ["KEYS", "*"]))).toMatch(/beyond its key patterns/);
    expect(denied(() => authorizeCommand(admin, spec("FLUSHALL"), ["FLUSHALL"]))).toBeUndefined();
    // SORT: the sorted key and STORE's are checked; BY/GET patterns need a token with every key.
    expect(denied(() => authorizeCommand(rw, spec("SORT"), ["SORT", "user:l", "STORE", "user:d"]))).toBeUndefined();
    expect(denied(() => authorizeCommand(rw, spec("SORT"), ["SORT", "user:l", "STORE", "other"]))).toMatch(/'other'/);
    expect(denied(() => authorizeCommand(rw, spec("SORT"), ["SORT", "user:l", "BY", "nosort"]))).toBeUndefined();
    expect(denied(() => authorizeCommand(rw, spec("SORT"), ["SORT", "user:l", "BY", "user:w_*"]))).toMatch(
      /BY option of 'sort'/,
    );
    expect(denied(() => authorizeCommand(rw, spec("SORT_RO"), ["SORT_RO", "user:l", "GET", "#"]))).toMatch(
      /GET option of 'sort_ro'/,
    );
    expect(
      denied(() => authorizeCommand(admin, spec("SORT"), ["SORT", "l", "BY", "w_*", "GET", "d_*"])),
    ).toBeUndefined();
  });

  it("gives the RESP port one call per command line, protocol commands included", () => {
    expect(denied(() => authorize(undefined, ["AUTH", "secret"], table))).toBeUndefined();
    expect(denied(() => authorize(undefined, ["GET", "k"], table))).toMatch(/no authenticated caller/);
    expect(denied(() => authorize(ro, ["get", "k"], table))).toBeUndefined();
    expect(denied(() => authorize(ro, ["PUBLISH", "c", "m"], table))).toMatch(/read-only token/);
    expect(denied(() => authorize(rw, ["CONFIG", "GET", "*"], table))).toMatch(/'config' command \(admin only\)/);
    expect(denied(() => authorize(ro, ["CLIENT", "SETNAME", "x"], table))).toBeUndefined();
    expect(denied(() => authorize(rw, ["client", "kill", "id", "1"], table))).toMatch(
      /'client\|kill' command \(admin only\)/,
    );
    expect(denied(() => authorize(ro, ["SUBSCRIBE", "c"], table))).toBeUndefined();
    expect(denied(() => authorize(rw, ["MGET", "user:1", "secret:1"], table))).toMatch(/'secret:1'/);
    // Commands the store also has are judged by the store's table, not the protocol list.
    for (const name of Object.keys(PROTOCOL_COMMANDS))
      if (table.has(name)) expect(commandAccess(spec(name))).toBeDefined();
  });

  it("decides RPCs by their rule: GetConfig is administration on every host", () => {
    const rule = (service: string, method: string) => rpcRule(`memorabilia.v1.${service}`, method, table);
    expect(rpcDenial(ro, "GetConfig", rule("ServerService", "GetConfig"))).toMatch(/it needs admin/);
    expect(rpcDenial(admin, "GetConfig", rule("ServerService", "GetConfig"))).toBeUndefined();
    expect(rpcDenial(ro, "Info", rule("ServerService", "Info"))).toBeUndefined();
    expect(rpcDenial(ro, "Publish", rule("PubSubService", "Publish"))).toMatch(/it needs readwrite/);
    expect(rpcDenial(rw, "Watch", rule("WatchService", "Watch"), { message: { pattern: "user:*" } })).toBeUndefined();
    expect(rpcDenial(rw, "Watch", rule("WatchService", "Watch"), { message: { pattern: "" } })).toMatch(
      /may not watch '\*'/,
    );
    expect(rpcDenial(ro, "Set", rule("StringsService", "Set"))).toBeUndefined(); // checked per command as it runs
    expect(rpcDenial(ro, "Set", rule("StringsService", "Set"), { ahead: "write" })).toMatch(/needs write access/);
  });
});
