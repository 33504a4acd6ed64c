/**
 * The bench's `console` part: what an open, unfiltered web console costs a hot writer (issue 15:
 * "must not slow a hot writer by more than a few percent"). On a server of its own, a Node gRPC
 * writer (16 SETs in flight, paced at RATE per second, cycling over 1,000 keys, the keys the
 * console lists: no key is written twice within the console's coalescing interval, its worst
 * case) runs a window with no console and a window with the console open in Debian's Chromium
 * (headless: live stream, TTL ticker, refreshes of the rows in view), rounds interleaved A B, B A…;
 * each window has the writer's ops/s and the server's CPU per SET. The notes have, per round, the
 * load average, the console's calls per second and the server's CPU with the console open and the
 * writer idle. Before the rounds, a console is opened and closed once beside the writer (not
 * judged: V8 compiles both transports' shapes then; its figure is in the notes).
 * The server runs pinned to CPU 0 and the browser to the other CPUs (`CONSOLE_COST_PIN=0`: not
 * pinned): a console's browser runs on its user's machine, not on the server's cores. Each
 * window's line has the server's GCs (from `--trace-gc`: a mark-compact in one window of a round
 * skews that round) and the browser's CPU.
 * The same measurement as test/e2e/console-cost.spec.ts (which asserts the call rate).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { chromium } from "playwright";
import { createServiceClients } from "../../shared/client/index.js";
import { cpuMsPrecise as cpuMs, cpuMs as cpuTicksMs, startMemorabilia } from "./processes.js";
import type { Sample } from "./stats.js";

const IN_FLIGHT = 16;
const KEYS = 1_000;
const SETTLE_MS = 2_000;
/** The writer's pace, SETs per second (CONSOLE_COST_RATE): sustainable on the loaded 2-core host. */
const RATE = Number(process.env.CONSOLE_COST_RATE ?? 1500);
/** The writer's pace (SETs per second): a round where a side fell below 95 % of it is no judge. */
export const CONSOLE_RATE = RATE;
/** The two targets of the part (the report's verdict reads them). */
export const CONSOLE_TARGETS = {
  without: `writer ${RATE} SETs/s, no console`,
  with: `writer ${RATE} SETs/s, unfiltered console open`,
} as const;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The processes descended from `root` (from /proc's parent ids), `root` excluded. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [pid, pp] of parent)
      if (pp === p) {
        out.push(pid);
        walk(pid);
      }
  };
  walk(root);
  return out;
}

/** CPU ms so far of each of the browser's processes (every descendant of this process but `exclude`). */
function browserCpuMs(exclude: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of descendants(process.pid)) if (pid !== exclude) out.set(pid, cpuTicksMs(pid) ?? 0);
  return out;
}

/** CPU ms the browser's processes used between two readings (a process started since counts whole). */
function browserCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}

/** CPU ms so far of a process's main thread (its tid is its pid): the rest of {@link cpuMs} is V8's and libuv's helper threads. */
function mainThreadMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8");
    return Number(stat.slice(0, stat.indexOf(" "))) / 1e6;
  } catch {
    return undefined;
  }
}

/** Sets the CPU affinity of `pid` and all its threads (taskset); false when it could not. */
function pin(pid: number, cpus: string): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** One line of `node --trace-gc`: its kind and its pause in ms. */
const GC_LINE = / ms: ([A-Za-z -]+?)(?: \(reduce\))? [\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, ([\d.]+) \//;

/** Options of {@link runConsoleCost}. */
export interface ConsoleCostOptions {
  readonly rounds: number;
  readonly windowMs: number;
  readonly onProgress: (line: string) => void;
  readonly notes: string[];
}

/** Runs the console-cost rounds; returns one sample per round and target (group `console`). */
export async function runConsoleCost(options: ConsoleCostOptions): Promise<Sample[]> {
  const { rounds, windowMs, onProgress, notes } = options;
  if (!existsSync(CHROMIUM)) {
    notes.push(`console part skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
    return [];
  }
  onProgress("console: building the console (vite build)");
  execFileSync(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--logLevel", "error"], {
    stdio: "ignore",
  });
  // CONSOLE_COST_CPU_PROF=DIR: the server writes a V8 CPU profile there when it stops (node --cpu-prof).
  const profDir = process.env.CONSOLE_COST_CPU_PROF;
  const side = process.env.CONSOLE_COST_SIDE;
  // The server traces its GCs (one line each, a few a second): each window's count and pauses go
  // in the notes, so a round's spread can be told apart from a major GC that fell in one window.
  const server = await startMemorabilia(
    [],
    ["--trace-gc", ...(profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [])],
  );
  const gcs: { at: number; kind: string; ms: number }[] = [];
  if (server.child.stdout)
    createInterface({ input: server.child.stdout }).on("line", (line) => {
      const m = GC_LINE.exec(line);
      if (m) gcs.push({ at: performance.now(), kind: m[1] as string, ms: Number(m[2]) });
    });
  const gcIn = (t0: number, t1: number): { text: string; majorMs: number } => {
    let minor = 0;
    let minorMs = 0;
    let major = 0;
    let majorMs = 0;
    for (const g of gcs) {
      if (g.at < t0 || g.at > t1) continue;
      if (g.kind === "Scavenge" || g.kind.startsWith("Minor")) {
        minor++;
        minorMs += g.ms;
      } else {
        major++;
        majorMs += g.ms;
      }
    }
    return { text: `GC ${minor} minor ${minorMs.toFixed(1)} ms, ${major} major ${majorMs.toFixed(1)} ms`, majorMs };
  };
  // CONSOLE_COST_PIN (default 1 on a host with 2+ CPUs): the server on CPU 0, the browser on the
  // others, the writer free. A console's browser runs on its user's machine, not on the server's:
  // on this 2-core host, unpinned, the browser's rendering competes for the server's core, and
  // the server's CPU per SET then measures that contention as much as the console's requests.
  const cpus = availableParallelism();
  const pinned = process.env.CONSOLE_COST_PIN !== "0" && cpus >= 2 && pin(server.pid, "0");
  const browserCpus = cpus > 2 ? `1-${cpus - 1}` : "1";
  const pinBrowser = (): void => {
    if (pinned) for (const pid of descendants(process.pid)) if (pid !== server.pid) pin(pid, browserCpus);
  };
  notes.push(
    pinned
      ? `console: the server pinned to CPU 0, the browser to CPU ${browserCpus}, the writer unpinned (CONSOLE_COST_PIN=0: all unpinned)`
      : "console: nothing pinned (CONSOLE_COST_PIN=0, one CPU, or no taskset): the browser competes with the server for its CPU",
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  pinBrowser();
  const samples: Sample[] = [];
  const callRates: number[] = [];
  const loads: number[] = [];
  const roundLines: string[] = [];
  const idleCosts: number[] = [];
  /** Each write window as `startµs-endµs` of the monotonic clock (CONSOLE_COST_CPU_PROF only). */
  const windows: string[] = [];
  try {
    const api = createServiceClients(createGrpcTransport({ baseUrl: server.url }));
    const value = new TextEncoder().encode("v".repeat(32));
    // Paced: both sides do the same work per second, so the server CPU per SET compares the
    // console's cost alone (an unpaced writer's rate follows the host's load, and the server's
    // per-op CPU follows the rate). A side that cannot keep the pace shows it in its ops/s.
    const write = async (
      ms: number,
    ): Promise<{
      ops: number;
      seconds: number;
      cpu: number | undefined;
      mono: string;
      gc: string;
      /** Major GC pauses in the window (ms), from the trace. */
      majorMs: number;
      browserMsPerS: number;
      /** Server CPU of the main thread (the rest is GC helpers, compiler and libuv threads). */
      mainCpu: number | undefined;
    }> => {
      let ops = 0;
      let next = 0;
      const browser0 = browserCpuMs(server.pid);
      const cpu0 = cpuMs(server.pid);
      const main0 = mainThreadMs(server.pid);
      const t0Mono = process.hrtime.bigint() / 1000n;
      const t0 = performance.now();
      const until = t0 + ms;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          for (;;) {
            const n = next++;
            const due = t0 + (n * 1000) / RATE;
            if (due >= until) break;
            const wait = due - performance.now();
            if (wait > 1) await new Promise((r) => setTimeout(r, wait));
            await api.strings.set({ key: `cost:${n % KEYS}`, value });
            ops++;
          }
        }),
      );
      const cpu1 = cpuMs(server.pid);
      const main1 = mainThreadMs(server.pid);
      const t1 = performance.now();
      const browserMs = browserCpuSince(browser0, browserCpuMs(server.pid));
      // GC lines reach the pipe a little after the GC: allow 50 ms.
      await new Promise((r) => setTimeout(r, 50));
      const gc = gcIn(t0, t1 + 50);
      return {
        gc: gc.text,
        majorMs: gc.majorMs,
        mainCpu: main0 === undefined || main1 === undefined ? undefined : main1 - main0,
        browserMsPerS: (browserMs * 1000) / (t1 - t0),
        // The window on the monotonic clock a V8 CPU profile's timestamps use (µs).
        mono: `${t0Mono}-${process.hrtime.bigint() / 1000n}`,
        ops,
        seconds: (performance.now() - t0) / 1000,
        cpu: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
      };
    };
    await write(1000); // warm-up: JIT, connections, the keys exist
    const openConsole = async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      pinBrowser(); // a new context may start a new renderer process
      await page.goto(server.url);
      await page.locator('[aria-label="Connection"][data-state="live"]').waitFor({ timeout: 30_000 });
      await page.locator(".line.key").first().waitFor({ timeout: 30_000 });
      // The steady state is what an open console costs: its start (modules, first pages, the
      // memory of the rows) is over before the window.
      await page.waitForTimeout(SETTLE_MS);
      let calls = 0;
      page.on("request", (r) => {
        if (r.url().includes("/memorabilia.v1.")) calls++;
      });
      return { context, calls: () => calls };
    };
    const perOp = (w: { ops: number; cpu: number | undefined }) =>
      w.cpu === undefined || w.ops === 0 ? Number.NaN : (w.cpu * 1000) / w.ops;
    // A diagnostic, not judged: a mark-compact falling in one window of a round skews that round.
    const perOpNoMajor = (w: { ops: number; cpu: number | undefined; majorMs: number }) =>
      w.cpu === undefined || w.ops === 0 ? Number.NaN : ((w.cpu - w.majorMs) * 1000) / w.ops;
    // Warm-up with a console opened and closed once, not judged: the first console's calls
    // (HTTP/1.1 gRPC-Web beside the writer's HTTP/2) make V8 compile and re-optimize the code both
    // share for both shapes, TurboFan's threads counted in the server's CPU. Measured in session 8
    // (--trace-deopt): 7-18 deopts and 30-50 µs of compiler-thread CPU per SET in the first
    // console window, then 0-2 deopts a window. The target is what a console open costs once it is
    // open; its first opening is reported in the notes, not hidden.
    onProgress("console: warm-up with a console opened once (not judged)");
    const firstOpen = await openConsole();
    const firstWindow = await write(windowMs);
    await firstOpen.context.close();
    const afterFirst = await write(windowMs);
    notes.push(
      `console: warm-up (not judged): the first console window ${perOp(firstWindow).toFixed(1)} µs CPU/SET, the writer alone after it ${perOp(afterFirst).toFixed(1)}`,
    );
    for (let round = 0; round < rounds; round++) {
      // A, B then B, A: neither side always runs first (JIT, GC debt, a load spike at the start).
      let order = round % 2 === 0 ? [false, true] : [true, false];
      // CONSOLE_COST_SIDE=with|none: one side only (to profile it with CONSOLE_COST_CPU_PROF).
      if (side !== undefined) order = [side === "with"];
      const line: string[] = [];
      for (const withConsole of order) {
        const load = Math.round((loadavg()[0] ?? 0) * 100) / 100;
        onProgress(`console: round ${round + 1}/${rounds}, ${withConsole ? "console open" : "no console"}`);
        const open = withConsole ? await openConsole() : undefined;
        const calls0 = open?.calls() ?? 0;
        if (open) {
          // The console's own cost, the writer idle: server CPU per second (a constant, whatever the writer).
          const c0 = cpuMs(server.pid);
          const t0 = performance.now();
          await new Promise((r) => setTimeout(r, windowMs / 2));
          const c1 = cpuMs(server.pid);
          if (c0 !== undefined && c1 !== undefined) idleCosts.push(((c1 - c0) * 1000) / (performance.now() - t0));
        }
        const w = await write(windowMs);
        windows.push(`${withConsole ? "console" : "none"}:${w.mono}`);
        const callRate = open ? ((open.calls() - calls0) * 1000) / (w.seconds * 1000) : 0;
        await open?.context.close();
        if (open) callRates.push(callRate);
        loads.push(load);
        samples.push({
          group: "console",
          op: "SET",
          target: withConsole ? CONSOLE_TARGETS.with : CONSOLE_TARGETS.without,
          round,
          ops: w.ops,
          seconds: w.seconds,
          serverCpuMs: w.cpu,
        });
        line.push(
          `${withConsole ? "console" : "none"}: ${Math.round(w.ops / w.seconds)} ops/s, ${perOp(w).toFixed(1)} µs CPU/op (main thread ${w.mainCpu === undefined ? "?" : ((w.mainCpu * 1000) / w.ops).toFixed(1)}, ${perOpNoMajor(w).toFixed(1)} without major GC pauses)${open ? `, ${callRate.toFixed(1)} console calls/s` : ""}, browser ${w.browserMsPerS.toFixed(0)} ms CPU/s, ${w.gc}, load ${load}`,
        );
      }
      roundLines.push(`round ${round + 1}: ${line.join("; ")}`);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  notes.push(
    `console: the open console's calls to the server during the writer's windows: ${callRates.map((c) => c.toFixed(1)).join(", ")} per second; load averages before each window: ${loads.join(", ")}`,
    `console: server CPU with the console open and the writer idle: ${idleCosts.map((c) => c.toFixed(1)).join(", ")} ms per second`,
    ...roundLines.map((r) => `console: ${r}`),
  );
  // To slice the server's profile by window (e.g. one side's functions per SET).
  if (profDir) notes.push(`console: the writer's windows, monotonic µs: ${windows.join(" ")}`);
  return samples;
}
