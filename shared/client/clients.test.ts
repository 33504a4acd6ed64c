import { Code, ConnectError, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { registerMemorabiliaServices } from "../api/register.js";
import { ListEnd } from "../gen/memorabilia/v1/lists_service_pb.js";
import { TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import { createTestStore } from "../store/testing.js";
import { bearerAuth } from "./auth.js";
import { text, utf8 } from "./bytes.js";
import { createServiceClients } from "./clients.js";
import { command, raw } from "./command.js";
import { ttl } from "./ttl.js";

function setup(interceptors: Interceptor[] = []) {
  const t = createTestStore();
  const transport = createRouterTransport((router) => registerMemorabiliaServices(router, t.store), {
    transport: { interceptors },
  });
  return { ...t, client: createServiceClients(transport) };
}

describe("createServiceClients", () => {
  it("exposes the generated clients with the helpers' conversions", async () => {
    const { client, clock } = setup();
    await client.strings.set({ key: "greeting", value: utf8("héllo"), expiry: { case: "ttlMs", value: ttl("10s") } });
    expect(text((await client.strings.get({ key: "greeting" })).value)).toBe("héllo");
    const { ttl: left } = await client.keys.ttl({ key: "greeting" });
    expect(left?.status).toBe(TtlStatus.EXPIRES);
    expect(left?.ttlMs).toBe(10_000n);
    clock.advance(10_001); // Redis expires past the deadline, not at it
    expect((await client.strings.get({ key: "greeting" })).value).toBeUndefined();
  });

  it("text() keeps nil apart from the empty string", () => {
    expect(text(undefined)).toBeUndefined();
    expect(text(new Uint8Array())).toBe("");
  });

  it("bearerAuth sends the current token on every call", async () => {
    const seen: (string | null)[] = [];
    let token: string | undefined = "first";
    const { client } = setup([
      bearerAuth(() => token),
      (next) => (req) => {
        seen.push(req.header.get("authorization"));
        return next(req);
      },
    ]);
    await client.keys.dbSize({});
    token = undefined;
    await client.keys.dbSize({});
    expect(seen).toEqual(["Bearer first", null]);
  });

  it("errors keep their code and Redis message", async () => {
    const { client } = setup();
    await client.lists.push({ key: "l", end: ListEnd.LEFT, elements: [utf8("x")] });
    const error = await client.strings.get({ key: "l" }).catch((e) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.FailedPrecondition });
    expect((error as ConnectError).rawMessage).toMatch(/^WRONGTYPE/);
  });
});

describe("command builders", () => {
  it("build typed and raw commands", () => {
    expect(command("incrBy", { key: "n", delta: 2n }).kind).toMatchObject({
      case: "incrBy",
      value: { key: "n", delta: 2n },
    });
    const r = raw("SET", "k", utf8("v"));
    expect(r.kind.case).toBe("raw");
    expect(r.kind.case === "raw" && r.kind.value.args.map((a) => text(a))).toEqual(["SET", "k", "v"]);
  });
});
