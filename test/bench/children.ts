import { spawn } from "node:child_process";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import { bundleEntry } from "./bundle.js";

/** Runs a bench child script (bundled, see bundle.ts) with extra node flags; resolves with its last JSON line. */
export function runChild(
  script: string,
  args: readonly string[],
  nodeFlags: readonly string[],
  timeoutMs: number,
  onStderrLine?: (line: string) => void,
): Promise<Record<string, unknown>> {
  const bundle = bundleEntry(script, `bench-${basename(script, ".ts")}`);
  const child = spawn(process.execPath, [...nodeFlags, bundle, ...args], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let last: Record<string, unknown> | undefined;
  const errors: string[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line.startsWith("{")) last = JSON.parse(line) as Record<string, unknown>;
  });
  createInterface({ input: child.stderr }).on("line", (line) => {
    if (errors.length < 50) errors.push(line);
    onStderrLine?.(line);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onSignal = () => child.kill("SIGKILL");
    process.once("exit", onSignal);
    child.once("exit", (code) => {
      clearTimeout(timer);
      process.removeListener("exit", onSignal);
      if (last !== undefined) resolve(last);
      else reject(new Error(`${script} exited with ${code} and no result:\n${errors.join("\n")}`));
    });
  });
}
