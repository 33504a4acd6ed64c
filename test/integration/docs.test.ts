/**
 * Runs every copy-paste example of README.md, docs/API.md and docs/CLI.md marked `<!-- tested -->`: each
 * `$ command` of a ```sh block (with `memo` as the CLI and `$MEMORABILIA_URL` a fresh server) must
 * print the lines that follow it; each ```ts block is run and must print its `// prints:` line.
 */
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_BUNDLE } from "../support/bundles.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

const run = promisify(execFile);
const ROOT = process.cwd();

interface Example {
  readonly lang: "sh" | "ts";
  readonly body: string;
}

/** The fenced blocks right after a `<!-- tested -->` line. */
function testedExamples(markdown: string): Example[] {
  const out: Example[] = [];
  const re = /<!-- tested -->\s*\n```(sh|ts)\n([\s\S]*?)\n```/g;
  for (const m of markdown.matchAll(re)) out.push({ lang: m[1] as "sh" | "ts", body: m[2] as string });
  return out;
}

/** `$ command` lines with the output lines that follow each. */
function steps(body: string): { command: string; expected: string }[] {
  const result: { command: string; expected: string[] }[] = [];
  for (const line of body.split("\n")) {
    if (line.startsWith("$ ")) result.push({ command: line.slice(2), expected: [] });
    else result.at(-1)?.expected.push(line);
  }
  return result.map((s) => ({ command: s.command, expected: s.expected.join("\n") }));
}

/** Equal as text, or as JSON values when the expected text is JSON (buf curl pretty-prints). */
function sameOutput(actual: string, expected: string): boolean {
  if (actual.trim() === expected.trim()) return true;
  try {
    return JSON.stringify(JSON.parse(actual)) === JSON.stringify(JSON.parse(expected));
  } catch {
    return false;
  }
}

const MEMO = `memo() { node ${join(ROOT, CLI_BUNDLE)} "$@"; }`;

async function shell(command: string, url: string): Promise<string> {
  const env = { ...process.env, MEMORABILIA_URL: url, MEMO_HISTORY: "" };
  try {
    const { stdout, stderr } = await run("bash", ["-c", `${MEMO}\n${command}`], { env, cwd: ROOT });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout: string; stderr: string };
    return e.stdout + e.stderr;
  }
}

describe.each(["README.md", "docs/API.md", "docs/CLI.md"])("%s", (file) => {
  const examples = testedExamples(readFileSync(join(ROOT, file), "utf8"));
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess(["--shutdown-timeout-ms", "500"]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("has tested examples", () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  // Examples of one file run in order: later ones read what earlier ones wrote.
  it("every example prints what the docs say", async () => {
    for (const [i, example] of examples.entries()) {
      if (example.lang === "sh") {
        for (const step of steps(example.body)) {
          const actual = await shell(step.command, server.url);
          expect(
            sameOutput(actual, step.expected),
            `${file} example ${i + 1}: $ ${step.command}\n--- got:\n${actual}`,
          ).toBe(true);
        }
      } else {
        const expected = /\/\/ prints: (.*)$/m.exec(example.body)?.[1];
        expect(expected, `${file} example ${i + 1} has a // prints: line`).toBeDefined();
        // Inside the package, so `memorabilia/client` resolves through package.json "exports"; the
        // `memorabilia-source` condition picks the TypeScript sources (no build of lib/ needed).
        const path = join(ROOT, "test/integration", `.docs-example-${process.pid}-${i}.ts`);
        writeFileSync(path, example.body);
        try {
          const { stdout } = await run(process.execPath, ["--conditions=memorabilia-source", "--import", "tsx", path], {
            env: { ...process.env, MEMORABILIA_URL: server.url },
            cwd: ROOT,
          });
          expect(stdout.trim()).toBe(expected);
        } finally {
          rmSync(path, { force: true });
        }
      }
    }
  });
});
