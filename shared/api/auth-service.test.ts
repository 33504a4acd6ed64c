import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AuthService, Role } from "../gen/memorabilia/v1/auth_service_pb.js";
import { type CallerIdentity, createAuthService, kCallerIdentity } from "./auth-service.js";

function client(authRequired: boolean, id: CallerIdentity | undefined) {
  const transport = createRouterTransport(
    (router) => router.service(AuthService, createAuthService({ authRequired })),
    {
      router: {
        interceptors: [
          (next) => (req) => {
            req.contextValues.set(kCallerIdentity, id);
            return next(req);
          },
        ],
      },
    },
  );
  return createClient(AuthService, transport);
}

describe("AuthService.WhoAmI", () => {
  it("answers the anonymous admin when no auth is configured", async () => {
    const r = await client(false, undefined).whoAmI({});
    expect([r.authRequired, r.name, r.role, r.keyPatterns]).toEqual([false, "default", Role.ADMIN, []]);
  });

  it("answers UNAUTHENTICATED to an anonymous caller when auth is required", async () => {
    const e = await client(true, undefined)
      .whoAmI({})
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectError);
    expect((e as ConnectError).code).toBe(Code.Unauthenticated);
  });

  it.each([
    ["admin", Role.ADMIN, []],
    ["readwrite", Role.READWRITE, ["user:*"]],
    ["readonly", Role.READONLY, ["a", "b*"]],
  ] as const)("reports a %s token with its patterns", async (role, expected, patterns) => {
    const r = await client(true, { name: "t1", role, keyPatterns: patterns }).whoAmI({});
    expect([r.authRequired, r.name, r.role, r.keyPatterns]).toEqual([true, "t1", expected, patterns]);
  });
});
