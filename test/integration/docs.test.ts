/**
 * Runs every copy-paste example of README.md and docs/*.md marked `<!-- tested -->`: each
 * `$ command` of a ```sh block (with `memo` as the CLI, `$MEMORABILIA_URL` a fresh server and
 * `$MEMORABILIA_RESP_PORT` its RESP port) must print the lines that follow it; each ```ts block is
 * run and must print its `// prints:` line.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_BUNDLE } from "../support/bundles.js";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

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

/**
 * Shell functions the examples call: `memo` is the CLI bundle; `redis-cli` prints as it does at a
 * terminal (`--no-raw`: its output is raw when stdout is not a tty, as here).
 */
const MEMO = `memo() { node ${join(ROOT, CLI_BUNDLE)} "$@"; }\nredis-cli() { command redis-cli --no-raw "$@"; }`;

/** The environment examples see: the server's URL and RESP port. */
function exampleEnv(server: RespServerProcess): NodeJS.ProcessEnv {
  return { ...process.env, MEMORABILIA_URL: server.url, MEMORABILIA_RESP_PORT: String(server.respPort) };
}

async function shell(command: string, server: RespServerProcess): Promise<string> {
  const env = { ...exampleEnv(server), MEMO_HISTORY: "" };
  try {
    const { stdout, stderr } = await run("bash", ["-c", `${MEMO}\n${command}`], { env, cwd: ROOT });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout: string; stderr: string };
    return e.stdout + e.stderr;
  }
}

const DOCS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** Docs whose examples need what this test does not start, and where they are checked instead. */
const CHECKED_ELSEWHERE: Record<string, string> = {
  "docs/FLEET.md": "needs an etcd cluster: test/etcd starts one and runs the same commands",
  "docs/RUNTIMES.md": "needs Deno, Bun and workerd: test/runtime runs every host",
};

it("every doc with copy-paste examples has tested ones (or says where they are checked)", () => {
  // A doc that shows commands or code but marks none as tested is a doc nobody checks.
  const untested = DOCS.filter((file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    return /```(sh|ts)\n/.test(text) && testedExamples(text).length === 0;
  });
  expect(untested.filter((file) => CHECKED_ELSEWHERE[file] === undefined)).toEqual([]);
});

describe.each(DOCS.filter((file) => testedExamples(readFileSync(join(ROOT, file), "utf8")).length > 0))(
  "%s",
  (file) => {
    const examples = testedExamples(readFileSync(join(ROOT, file), "utf8"));
    let server: RespServerProcess;
    beforeAll(async () => {
      server = await startRespServerProcess(["--shutdown-timeout-ms", "500"]);
    });
    afterAll(async () => {
      await server?.stop();
    });

    // Examples of one file run in order: later ones read what earlier ones wrote.
    it("every example prints what the docs say", async () => {
      for (const [i, example] of examples.entries()) {
        if (example.lang === "sh") {
          for (const step of steps(example.body)) {
            const actual = await shell(step.command, server);
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
            const { stdout } = await run(
              process.execPath,
              ["--conditions=memorabilia-source", "--import", "tsx", path],
              {
                env: exampleEnv(server),
                cwd: ROOT,
              },
            );
            expect(stdout.trim()).toBe(expected);
          } finally {
            rmSync(path, { force: true });
          }
        }
      }
    });
  },
);
