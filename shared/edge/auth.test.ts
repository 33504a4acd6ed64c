import { describe, expect, it } from "vitest";
import { bearerToken, constantTimeEqual, findToken } from "./auth.js";
import { optionsFromEnv, parseTokens } from "./env-config.js";

describe("constantTimeEqual", () => {
  it.each([
    ["secret", "secret", true],
    ["secret", "secreT", false],
    ["secret", "secret1", false],
    ["", "", true],
    ["", "x", false],
    ["é", "é", true],
  ])("%j vs %j -> %s", (a, b, equal) => {
    expect(constantTimeEqual(a, b)).toBe(equal);
  });
});

describe("bearerToken", () => {
  it.each([
    ["Bearer abc", "abc"],
    ["bearer  abc ", "abc"],
    ["Basic abc", undefined],
    ["Bearer", undefined],
    ["Bearer a b", undefined],
    [null, undefined],
  ])("%j -> %j", (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe("findToken", () => {
  const tokens = [
    { name: "a", token: "t1", role: "admin" as const },
    { name: "b", token: "t2", role: "readonly" as const },
  ];
  it("finds the entry of a known token and nothing for others", () => {
    expect(findToken(tokens, "t2")?.name).toBe("b");
    expect(findToken(tokens, "t1")?.name).toBe("a");
    expect(findToken(tokens, "t3")).toBeUndefined();
    expect(findToken([], "t1")).toBeUndefined();
  });
});

describe("env configuration", () => {
  it("parses name:role:token entries (tokens may contain colons)", () => {
    expect(parseTokens(" ci:readwrite:abc , ops:admin:x:y")).toEqual([
      { name: "ci", role: "readwrite", token: "abc" },
      { name: "ops", role: "admin", token: "x:y" },
    ]);
    expect(parseTokens(undefined)).toEqual([]);
    expect(parseTokens("  ")).toEqual([]);
  });

  it.each(["ci:root:abc", "ci:admin", ":admin:abc"])("refuses %j without echoing the token", (text) => {
    expect(() => parseTokens(text)).toThrow(/entry 1 must be name:role:token/);
    try {
      parseTokens(text);
    } catch (error) {
      expect(String(error)).not.toContain("abc");
    }
  });

  it("reads origins and limits, and refuses bad numbers", () => {
    const o = optionsFromEnv({
      MEMORABILIA_CORS_ORIGINS: "https://a.test, https://b.test",
      MEMORABILIA_MAX_REQUEST_BYTES: "1024",
      MEMORABILIA_MAX_TIMEOUT_MS: "5000",
    });
    expect([o.corsOrigins, o.readMaxBytes, o.maxTimeoutMs, o.tokens]).toEqual([
      ["https://a.test", "https://b.test"],
      1024,
      5000,
      [],
    ]);
    expect(optionsFromEnv({}).corsOrigins).toEqual([]);
    expect(() => optionsFromEnv({ MEMORABILIA_MAX_REQUEST_BYTES: "-1" })).toThrow(/positive integer/);
    expect(
      optionsFromEnv({
        MEMORABILIA_MAX_STREAMS: "100",
        MEMORABILIA_STREAM_BUFFER_HARD_BYTES: "4096",
        MEMORABILIA_STREAM_BUFFER_SOFT_BYTES: "1024",
        MEMORABILIA_STREAM_BUFFER_SOFT_MS: "500",
      }).streaming,
    ).toEqual({ maxStreams: 100, outputBufferHardBytes: 4096, outputBufferSoftBytes: 1024, outputBufferSoftMs: 500 });
    expect(() => optionsFromEnv({ MEMORABILIA_MAX_STREAMS: "0" })).toThrow(
      /MEMORABILIA_MAX_STREAMS must be a positive integer/,
    );
  });
});
