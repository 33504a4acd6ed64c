import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTokens, TokenError } from "./tokens.js";

describe("token secrets (issue 12 item 12: at least 16 characters, documented in --help and SECURITY.md)", () => {
  it("a secret shorter than 16 characters stops the start, on the command line and in a tokens file", () => {
    expect(() => loadTokens(["ops:admin:sixteen-chars-xx"], undefined)).not.toThrow();
    expect(() => loadTokens(["ops:admin:fifteen-chars-x"], undefined)).toThrow(TokenError);
    expect(() => loadTokens(["ops:admin:fifteen-chars-x"], undefined)).toThrow(/at least 16 characters/);
    const dir = mkdtempSync(join(tmpdir(), "mem-tokens-"));
    const file = join(dir, "tokens.json");
    writeFileSync(file, JSON.stringify([{ name: "ops", role: "admin", secret: "short-secret" }]));
    expect(() => loadTokens([], file)).toThrow(/at least 16 characters/);
    writeFileSync(file, JSON.stringify([{ name: "ops", role: "admin", secret: "a-long-enough-secret" }]));
    expect(loadTokens([], file).authenticate("a-long-enough-secret")?.name).toBe("ops");
  });

  it("the refusal never shows the secret", () => {
    try {
      loadTokens(["ops:admin:tiny-secret"], undefined);
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain("tiny-secret");
    }
  });
});
