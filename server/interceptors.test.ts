/**
 * The protected-mode interceptor refuses non-loopback callers (as a rejected promise, like the
 * async function it was) and hands loopback callers' calls on untouched.
 */
import { Code, ConnectError, createContextValues, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { isLoopback, kRemoteAddress, protectedModeInterceptor } from "./interceptors.js";

const request = (address: string | undefined) =>
  ({ contextValues: createContextValues().set(kRemoteAddress, address) }) as unknown as UnaryRequest;
const response = {} as UnaryResponse;

describe("protectedModeInterceptor", () => {
  it.each([
    ["loopback v4, enabled", "127.0.0.1", true, "passes"],
    ["loopback v6, enabled", "::1", true, "passes"],
    ["mapped loopback, enabled", "::ffff:127.0.0.5", true, "passes"],
    ["remote, enabled", "10.0.0.1", true, "refused"],
    ["unknown address, enabled", undefined, true, "refused"],
    ["remote, disabled", "10.0.0.1", false, "passes"],
  ] as const)("%s: %s", async (_name, address, enabled, outcome) => {
    const next = (req: UnaryRequest) => Promise.resolve(req === request(address) ? response : response);
    const result = protectedModeInterceptor(() => enabled)(next as never)(request(address));
    // Either way the interceptor answers with a promise, never a synchronous throw.
    expect(result).toBeInstanceOf(Promise);
    if (outcome === "passes") {
      await expect(result).resolves.toBe(response);
    } else {
      const error = await (result as Promise<unknown>).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.PermissionDenied);
      expect((error as ConnectError).rawMessage).toMatch(/^DENIED Memorabilia is running in protected mode/);
    }
  });

  it("hands on next's own promise (no wrapper)", () => {
    const p = Promise.resolve(response);
    expect(protectedModeInterceptor(() => true)((() => p) as never)(request("127.0.0.1"))).toBe(p);
  });

  it("isLoopback", () => {
    expect([undefined, "127.1.2.3", "::1", "::2", "8.8.8.8"].map(isLoopback)).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
  });
});
