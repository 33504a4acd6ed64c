import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { describe, expect, it } from "vitest";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { AuthService, Role } from "../gen/memorabilia/v1/auth_service_pb.js";
import { KeysService } from "../gen/memorabilia/v1/keys_service_pb.js";
import { StringsService } from "../gen/memorabilia/v1/strings_service_pb.js";
import { WatchService } from "../gen/memorabilia/v1/watch_service_pb.js";
import { createTestStore } from "../store/testing.js";
import { createEdgeApp, type EdgeAppOptions } from "./edge-app.js";

const BASE = "http://edge.test";
const b = (t: string) => new TextEncoder().encode(t);
const s = (u: Uint8Array | undefined) => (u === undefined ? undefined : new TextDecoder().decode(u));

function setup(options: EdgeAppOptions = {}) {
  const t = createTestStore();
  const app = createEdgeApp({ store: t.store, ...options });
  // The client's fetch goes straight into the handler: no network, the same Request/Response path.
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => app.fetch(new Request(input, init));
  const transport = (kind: "connect" | "grpc-web", token?: string): Transport => {
    const interceptors = token === undefined ? [] : [bearer(token)];
    return kind === "connect"
      ? createConnectTransport({ baseUrl: BASE, fetch, interceptors })
      : createGrpcWebTransport({ baseUrl: BASE, fetch, interceptors });
  };
  return { ...t, app, transport };
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("Authorization", `Bearer ${token}`);
    return next(req);
  };
}

/**
 * A request carrying headers a page may not set (Origin, Access-Control-Request-*): browsers drop
 * them from `new Request`, so the tests build the handler's view of a cross-origin request.
 */
function crossOrigin(url: string, init: RequestInit & { headers: Record<string, string> }): Request {
  const real = new Request(url, init);
  return {
    url: real.url,
    method: real.method,
    headers: new Headers(init.headers),
    body: real.body,
    signal: real.signal,
  } as Request;
}

async function codeOf(call: Promise<unknown>): Promise<Code> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error).code;
  }
  throw new Error("expected the call to fail");
}

const tokens = [
  { name: "root", token: "adm", role: "admin" as const },
  { name: "app", token: "rw", role: "readwrite" as const },
  { name: "viewer", token: "ro", role: "readonly" as const },
];

describe("createEdgeApp", () => {
  it.each(["connect", "grpc-web"] as const)("serves the API over %s", async (kind) => {
    const { transport, store } = setup();
    const strings = createClient(StringsService, transport(kind));
    await strings.set({ key: "k", value: b("v") });
    expect(s((await strings.get({ key: "k" })).value)).toBe("v");
    expect(await store.exec(["GET", "k"])).toBe("v");
  });

  it("expires keys by the store's clock", async () => {
    const { transport, clock } = setup();
    const strings = createClient(StringsService, transport("connect"));
    await strings.set({ key: "t", value: b("v"), expiry: { case: "ttlMs", value: 1000n } });
    clock.advance(1000); // alive at its deadline, as in Redis (expired only when now > deadline)
    expect(s((await strings.get({ key: "t" })).value)).toBe("v");
    clock.advance(1);
    expect((await strings.get({ key: "t" })).value).toBeUndefined();
  });

  it("sweep() runs one active-expiry cycle (no timer needed)", async () => {
    const { app, clock, store } = setup();
    for (let i = 0; i < 50; i++) await store.exec(["SET", `k${i}`, "v", "PX", "10"]);
    clock.advance(11);
    expect(store.stats().keys).toBe(50);
    const result = await app.sweep();
    expect(result.expired).toBe(50);
    expect(store.stats().keys).toBe(0);
  });

  it("without tokens every caller is the anonymous admin", async () => {
    const { transport } = setup();
    const me = await createClient(AuthService, transport("connect")).whoAmI({});
    expect([me.authRequired, me.name, me.role]).toEqual([false, "default", Role.ADMIN]);
  });

  it.each([
    ["no token", undefined, Code.Unauthenticated],
    ["an unknown token", "nope", Code.Unauthenticated],
    ["a token differing in case", "RW", Code.Unauthenticated],
    ["a readonly token", "ro", Code.PermissionDenied],
    ["a readwrite token", "rw", undefined],
  ])("SET with %s", async (_label, token, code) => {
    const { transport } = setup({ tokens });
    const call = createClient(StringsService, transport("grpc-web", token)).set({ key: "k", value: b("v") });
    if (code === undefined) expect((await call).applied).toBe(true);
    else expect(await codeOf(call)).toBe(code);
  });

  it("lets readonly tokens read and only admins flush", async () => {
    const { transport } = setup({ tokens });
    expect((await createClient(StringsService, transport("connect", "ro")).get({ key: "k" })).value).toBeUndefined();
    expect(await codeOf(createClient(KeysService, transport("connect", "rw")).flushAll({}))).toBe(
      Code.PermissionDenied,
    );
    await createClient(KeysService, transport("connect", "adm")).flushAll({});
    const me = await createClient(AuthService, transport("connect", "ro")).whoAmI({});
    expect([me.authRequired, me.name, me.role]).toEqual([true, "viewer", Role.READONLY]);
  });

  it("refuses requests over readMaxBytes with RESOURCE_EXHAUSTED", async () => {
    const { transport } = setup({ readMaxBytes: 1024 });
    const strings = createClient(StringsService, transport("connect"));
    expect(await codeOf(strings.set({ key: "k", value: new Uint8Array(2048) }))).toBe(Code.ResourceExhausted);
    expect((await strings.set({ key: "k", value: new Uint8Array(512) })).applied).toBe(true);
  });

  it("refuses timeouts over maxTimeoutMs", async () => {
    const { transport } = setup({ maxTimeoutMs: 1000 });
    const strings = createClient(StringsService, transport("connect"));
    expect(await codeOf(strings.get({ key: "k" }, { timeoutMs: 5000 }))).toBe(Code.InvalidArgument);
    expect((await strings.get({ key: "k" }, { timeoutMs: 500 })).value).toBeUndefined();
  });

  it.each(["connect", "grpc-web"] as const)("streams Watch events through the Fetch handler (%s)", async (kind) => {
    const { transport, store } = setup();
    const watch = createClient(WatchService, transport(kind));
    const abort = new AbortController();
    const seen: string[] = [];
    try {
      for await (const msg of watch.watch({ pattern: "w:*", snapshot: true }, { signal: abort.signal })) {
        if (msg.kind.case === "snapshot" && msg.kind.value.last) await store.exec(["SET", "w:a", "1"]);
        if (msg.kind.case === "events") {
          seen.push(...msg.kind.value.events.map((e) => `${e.event} ${e.key}`));
          break;
        }
      }
    } finally {
      abort.abort();
    }
    expect(seen).toEqual(["set w:a"]);
  });

  it("answers health checks", async () => {
    const { transport } = setup();
    const health = createClient(Health, transport("connect"));
    expect((await health.check({ service: "memorabilia.v1.StringsService" })).status).toBe(1);
  });

  it("answers 404 off the API and does not serve plain gRPC", async () => {
    const { app } = setup();
    expect((await app.fetch(new Request(`${BASE}/nope`))).status).toBe(404);
    const grpc = await app.fetch(
      new Request(`${BASE}/memorabilia.v1.StringsService/Get`, {
        method: "POST",
        headers: { "content-type": "application/grpc" },
        body: new Uint8Array(5),
      }),
    );
    expect(grpc.status).toBe(415);
    expect(app.procedures).toContain("/memorabilia.v1.StringsService/Get");
    expect(app.procedures).toContain("/memorabilia.v1.WatchService/Watch");
  });

  describe("CORS", () => {
    const preflight = (origin: string) =>
      crossOrigin(`${BASE}/memorabilia.v1.StringsService/Get`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
      });

    it("answers a listed origin's preflight and decorates its responses", async () => {
      const { app } = setup({ corsOrigins: ["https://console.test"] });
      const res = await app.fetch(preflight("https://console.test"));
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe("https://console.test");
      expect(res.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
      const actual = await app.fetch(
        crossOrigin(`${BASE}/memorabilia.v1.StringsService/Get`, {
          method: "POST",
          headers: { Origin: "https://console.test", "content-type": "application/json" },
          body: '{"key":"k"}',
        }),
      );
      expect(actual.status).toBe(200);
      expect(actual.headers.get("access-control-allow-origin")).toBe("https://console.test");
      expect(actual.headers.get("access-control-expose-headers")).toMatch(/Memorabilia-Error-Code/);
    });

    it.each([[[]], [["https://other.test"]]])("gives other origins nothing (allowed: %j)", async (origins) => {
      const { app } = setup({ corsOrigins: origins });
      const res = await app.fetch(preflight("https://console.test"));
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("allows any origin with *", async () => {
      const { app } = setup({ corsOrigins: ["*"] });
      const res = await app.fetch(preflight("https://any.test"));
      expect(res.headers.get("access-control-allow-origin")).toBe("https://any.test");
    });
  });
});
