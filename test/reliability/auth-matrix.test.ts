/**
 * The auth matrix: every RPC and stream of every registered service, on gRPC and Connect, with no
 * token, a wrong token, a read-only token and a token limited to other keys. Also: per-command
 * checks inside raw commands, admin-only commands, protected mode off with auth, /metrics, and
 * that no secret ever reaches the log.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, type DescMessage, type DescMethod, type DescService, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEMORABILIA_SERVICES } from "../../shared/api/register.js";
import { Health } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { AuthService, Role } from "../../shared/gen/memorabilia/v1/auth_service_pb.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { commandClient, tempDir, transports } from "./support.js";

const SECRETS = {
  admin: "adm1n-secret-0123456789",
  rw: "rw-secret-0123456789abc",
  ro: "ro-secret-0123456789abc",
  scoped: "scoped-secret-012345678",
};
const WRONG = "not-a-token-0123456789";
const SENSITIVE = "SENSITIVE-VALUE";

const SERVICES: DescService[] = [...MEMORABILIA_SERVICES, AuthService, Health];

/** A request with every key-like field aimed at `key` and every other field plausible. */
function requestFor(schema: DescMessage, key: string): MessageShape<DescMessage> {
  const init: Record<string, unknown> = {};
  for (const f of schema.fields) {
    if (f.fieldKind === "scalar") {
      const t = f.scalar;
      const val =
        t === 9 /* string */
          ? key
          : t === 12 /* bytes */
            ? new TextEncoder().encode(f.name === "args" ? "GET" : "v")
            : t === 8 /* bool */
              ? false
              : t === 1 || t === 2
                ? 1
                : t === 3 || t === 4 || t === 16 || t === 18 || t === 6
                  ? 1n
                  : 1;
      init[f.localName] = val;
    } else if (f.fieldKind === "list" && f.listKind === "scalar") {
      init[f.localName] =
        f.scalar === 9
          ? [key]
          : f.scalar === 12
            ? [new TextEncoder().encode("GET"), new TextEncoder().encode(key)]
            : [];
    }
  }
  return create(schema, init as never);
}

/** Calls any method; resolves with the Connect code (OK = 0). */
async function call(transport: Transport, service: DescService, method: DescMethod, key: string): Promise<Code | 0> {
  const client = createClient(service, transport) as unknown as Record<string, (...a: unknown[]) => unknown>;
  const fn = client[method.localName] as (...a: unknown[]) => unknown;
  const req = requestFor(method.input, key);
  const signal = AbortSignal.timeout(3000);
  try {
    switch (method.methodKind) {
      case "unary":
        await fn(req, { signal });
        return 0;
      case "server_streaming":
        for await (const _ of fn(req, { signal }) as AsyncIterable<unknown>) break;
        return 0;
      case "client_streaming":
        await fn(
          (async function* () {
            yield req;
          })(),
          { signal },
        );
        return 0;
      default:
        for await (const _ of fn(
          (async function* () {
            yield req;
          })(),
          { signal },
        ) as AsyncIterable<unknown>)
          break;
        return 0;
    }
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

/**
 * RPCs that touch no key, so a token limited to some keys may call them (DbSize reveals a count,
 * not names; Health/Check answers NOT_FOUND for the made-up service name the matrix sends).
 */
const ALLOWED_WITHOUT_KEYS = [
  "memorabilia.v1.KeysService/DbSize",
  "grpc.health.v1.Health/List",
  "grpc.health.v1.Health/Watch",
  "memorabilia.v1.AuthService/WhoAmI",
  "memorabilia.v1.CommandService/ListCommands",
].sort();

const methods = SERVICES.flatMap((s) => s.methods.map((m) => [`${s.typeName}/${m.name}`, s, m] as const));

describe("auth matrix", () => {
  let server: ServerProcess;
  let digest: () => Promise<string>;
  beforeAll(async () => {
    // The scoped token comes from a file, by digest (flags, environment and file all feed tokens).
    const tokensFile = join(tempDir("tokens"), "tokens.json");
    const sha256 = createHash("sha256").update(SECRETS.scoped).digest("hex");
    writeFileSync(
      tokensFile,
      JSON.stringify([{ name: "sc", role: "readwrite", sha256, patterns: ["user:*", "session:*"] }]),
    );
    server = await startServerProcess(
      [
        "--token",
        `adm:admin:${SECRETS.admin}`,
        "--token",
        `rw:readwrite:${SECRETS.rw}`,
        "--token",
        `ro:readonly:${SECRETS.ro}`,
        "--log-level",
        "trace",
        // Hundreds of wrong tokens from one address: the matrix, not the throttle, is tested here
        // (hostile-auth.test.ts tests the throttle).
        "--auth-failure-burst",
        "0",
      ],
      { MEMORABILIA_TOKENS_FILE: tokensFile },
    );
    const admin = commandClient(transports(server.url, SECRETS.admin)[2]?.[1] as Transport);
    // One key of each type outside the scoped token's patterns, holding a sensitive value.
    await admin("SET", "k", SENSITIVE);
    await admin("RPUSH", "k:list", SENSITIVE);
    await admin("HSET", "k:hash", "f", SENSITIVE);
    await admin("SADD", "k:set", SENSITIVE);
    await admin("ZADD", "k:zset", "1", SENSITIVE);
    await admin("SET", "user:1", "mine");
    digest = async () => {
      const keys = ((await admin("KEYS", "*")) as string[]).sort();
      const parts: string[] = [];
      for (const k of keys) parts.push(`${k}:${await admin("TYPE", k)}:${await admin("PTTL", k)}`);
      parts.push(JSON.stringify(await admin("MGET", ...keys)));
      parts.push(JSON.stringify(await admin("LRANGE", "k:list", "0", "-1")));
      parts.push(JSON.stringify(await admin("HGETALL", "k:hash")));
      parts.push(JSON.stringify(await admin("SMEMBERS", "k:set")));
      parts.push(JSON.stringify(await admin("ZRANGE", "k:zset", "0", "-1", "WITHSCORES")));
      return parts.join("|");
    };
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it.each(["grpc", "connect-h1"])(
    "%s: every RPC without a token or with a wrong token is UNAUTHENTICATED (health is public)",
    async (proto) => {
      for (const token of [undefined, WRONG]) {
        const t = transports(server.url, token).find(([n]) => n === proto)?.[1] as Transport;
        for (const [name, service, method] of methods) {
          const code = await call(t, service, method, "k");
          if (service.typeName === "grpc.health.v1.Health") expect.soft(code, name).not.toBe(Code.Unauthenticated);
          else expect.soft(code, `${name} with ${token ? "a wrong token" : "no token"}`).toBe(Code.Unauthenticated);
        }
      }
    },
    60_000,
  );

  it.each(["grpc", "connect-h1"])(
    "%s: a read-only token changes nothing through any RPC",
    async (proto) => {
      const before = await digest();
      const t = transports(server.url, SECRETS.ro).find(([n]) => n === proto)?.[1] as Transport;
      let denied = 0;
      for (const key of ["k", "k:list", "k:hash", "k:set", "k:zset", "new"]) {
        for (const [name, service, method] of methods) {
          const code = await call(t, service, method, key);
          expect.soft(code, name).not.toBe(Code.Unauthenticated);
          if (code === Code.PermissionDenied) denied++;
        }
      }
      expect(await digest()).toBe(before);
      expect(denied).toBeGreaterThan(20);
    },
    60_000,
  );

  it("a token limited to user:* and session:* neither reads nor changes other keys through any RPC", async () => {
    const before = await digest();
    const t = transports(server.url, SECRETS.scoped)[0]?.[1] as Transport;
    const answered = new Set<string>();
    for (const key of ["k", "k:list", "k:hash", "k:set", "k:zset"]) {
      for (const [name, service, method] of methods) {
        const code = await call(t, service, method, key);
        expect.soft(code, name).not.toBe(Code.Unauthenticated);
        if (code === 0) answered.add(name);
      }
    }
    expect(await digest()).toBe(before);
    // Only RPCs that touch no key answer (the command table, who-am-I, health).
    expect([...answered].sort()).toEqual(ALLOWED_WITHOUT_KEYS.filter((m) => methods.some(([n]) => n === m)));
    // Raw commands are checked per key: reading outside the patterns is refused.
    const exec = commandClient(t);
    for (const argv of [
      ["GET", "k"],
      ["LRANGE", "k:list", "0", "-1"],
      ["HGETALL", "k:hash"],
      ["SMEMBERS", "k:set"],
      ["ZRANGE", "k:zset", "0", "-1"],
      ["MGET", "user:1", "k"],
      ["MSET", "user:2", "a", "k", "b"],
      ["RENAME", "user:1", "k2"],
      ["KEYS", "*"],
      ["SCAN", "0"],
      ["RANDOMKEY"],
      ["FLUSHALL"],
    ]) {
      await expect(exec(...argv), argv.join(" ")).rejects.toMatchObject({ code: Code.PermissionDenied });
    }
    expect(await exec("GET", "user:1")).toBe("mine");
    expect(await exec("SET", "session:9", "x")).toBe("OK");
    expect(await exec("KEYS", "user:*")).toEqual(["user:1"]);
    expect(await exec("SCAN", "0", "MATCH", "session:*")).toEqual(["0", ["session:9"]]);
    expect(await commandClient(transports(server.url, SECRETS.admin)[0]?.[1] as Transport)("EXISTS", "user:2")).toBe(0);
  }, 60_000);

  it("roles: readwrite writes but may not FLUSHALL; admin may; read-only reads; errors say why", async () => {
    const [rw, ro] = [SECRETS.rw, SECRETS.ro].map((s) => commandClient(transports(server.url, s)[3]?.[1] as Transport));
    expect(await rw?.("SET", "rw:1", "a")).toBe("OK");
    expect(await ro?.("GET", "rw:1")).toBe("a");
    const e = await ro?.("SET", "rw:1", "b").catch((x: unknown) => x);
    expect(e).toMatchObject({ code: Code.PermissionDenied });
    expect((e as ConnectError).rawMessage).toMatch(/NOPERM token 'ro' \(readonly\)/);
    await expect(rw?.("FLUSHALL")).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(rw?.("FLUSHDB")).rejects.toMatchObject({ code: Code.PermissionDenied });
  });

  it("WhoAmI tells each token who it is", async () => {
    const who = async (token: string) =>
      createClient(AuthService, transports(server.url, token)[2]?.[1] as Transport).whoAmI({});
    expect(await who(SECRETS.admin)).toMatchObject({ authRequired: true, name: "adm", role: Role.ADMIN });
    expect(await who(SECRETS.scoped)).toMatchObject({
      name: "sc",
      role: Role.READWRITE,
      keyPatterns: ["user:*", "session:*"],
    });
    await expect(who(WRONG)).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it("/metrics needs a token; the secrets never reach the log", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${WRONG}` } })).status).toBe(401);
    const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${SECRETS.ro}` } });
    expect(ok.status).toBe(200);
    const log = server.logs.join("\n");
    expect(log.length).toBeGreaterThan(100);
    for (const s of [...Object.values(SECRETS), WRONG]) expect(log).not.toContain(s);
    expect(log).toContain('"name":"sc"');
  });
});
