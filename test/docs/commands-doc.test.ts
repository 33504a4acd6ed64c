import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { commandStates, renderCommandsDoc } from "./commands-doc.js";

describe("docs/COMMANDS.md", () => {
  it("gives every Redis 7 command a state the code agrees with", () => {
    // Throws on a command with no state, or listed as missing while implemented.
    const states = commandStates();
    expect(states.length).toBe(240);
    expect(states.find((c) => c.name === "BLPOP")?.state).toBe("implemented");
  });

  it("is current (regenerate: npx tsx test/docs/write-commands-doc.ts)", () => {
    const onDisk = readFileSync(new URL("../../docs/COMMANDS.md", import.meta.url), "utf8");
    expect(onDisk).toBe(renderCommandsDoc());
  });
});
