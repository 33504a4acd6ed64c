import { expect, it } from "vitest";
// Loaded before commands.ts on purpose: t-server.ts must not depend on commands.ts at load time.
import { serverCommands } from "./t-server.js";

it("t-server.ts loads first without a module cycle, and COMMAND still sees the whole table", async () => {
  expect(serverCommands.map((s) => s.name)).toContain("COMMAND");
  const { createTestStore } = await import("./testing.js");
  const { ALL_COMMANDS } = await import("./commands.js");
  expect(createTestStore().run("COMMAND", "COUNT")).toBe(ALL_COMMANDS.length);
});
