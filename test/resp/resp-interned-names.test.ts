/**
 * The decoders hand the store interned command names (shared/store/command-names.ts): the RESP
 * parser on each of its paths (one pass, split frames, inline) and CommandService.Execute's
 * decoder give a V8-internalized string for a command's name as registered or in lower case, and
 * a fresh one for anything else (a mixed-case name, an argument). Checked in a child with
 * `--allow-natives-syntax` (%HaveSameMap against a literal); the control proves the probe can
 * tell a fresh string apart.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);

it("every decoder path interns the names a table holds, and only those", async () => {
  const { stdout } = await run(
    process.execPath,
    ["--allow-natives-syntax", "--import", "tsx", "test/resp/interned-names-child.ts"],
    { timeout: 60_000 },
  );
  expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")).toEqual({
    control: false,
    whole: true,
    wholeLower: true,
    split: true,
    inline: true,
    mixed: false,
    execute: true,
    executeValue: false,
  });
});
