/**
 * The bench's `console` part: what an open, unfiltered web console costs a hot writer (issue 15:
 * "must not slow a hot writer by more than a few percent"). On a server of its own, one Node gRPC
 * writer runs for the whole part (16 SETs in flight, paced at RATE per second, cycling over 1,000
 * keys, the keys the console lists: no key is written twice within the console's coalescing
 * interval, its worst case). Its run is cut into PAIRS of windows, one with an unfiltered console
 * open in Debian's Chromium (headless: live stream, TTL ticker, refreshes of the rows in view) and
 * one without, in the order A B, B A, A B… Each window has the server's CPU per SET (every
 * thread: GC helpers and the compiler included), its GCs from `--trace-gc` (count, pauses, and the
 * bytes allocated between them) and the load average.
 *
 * Why this shape (session 10): a single mark-compact (40–350 ms) falling in one window moved a
 * 6-round median by ±10 %. The writer never stops, so no window starts with a ramp or a fresh
 * GC debt; the console opens and settles (and closes and drains) outside the windows; many short
 * pairs let the mark-compacts fall on both sides about as often as each side's allocations cause
 * them; and the verdict (console-verdict.ts) is the ratio of the TOTAL server CPU per SET over
 * every judged window of each side, every GC pause counted, with a bootstrap interval over the
 * pairs, not a median that drops the rounds a GC hit.
 *
 * The server runs pinned to CPU 0, the browser and the writer to the other CPUs
 * (`CONSOLE_COST_PIN=server`: the writer free; `0`: nothing pinned): a console's browser runs on
 * its user's machine, not on the server's cores. Before the
 * pairs, a console is opened and closed once beside the writer (not judged: V8 compiles both
 * transports' shapes then; its figure is in the notes), and the open console's cost with the
 * writer paused is measured once. The same measurement as test/e2e/console-cost.spec.ts (which
 * asserts the call rate).
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

/** A field of a `node --trace-gc-nvp` line (`name=value`). */
const nvp = (line: string, name: string): number => {
  const at = line.indexOf(` ${name}=`);
  return at < 0 ? 0 : Number.parseFloat(line.slice(at + name.length + 2));
};

/** What one GC cost and did, from its `--trace-gc-nvp` line. */
interface TracedGc {
  readonly at: number;
  readonly major: boolean;
  /** Main-thread pause (ms, wall). */
  readonly pauseMs: number;
  /**
   * The GC's work in ms, wall, all threads: its pause, a major GC's incremental marking steps on
   * the main thread before it, and its helper threads' marking, sweeping and evacuating.
   */
  readonly workMs: number;
  /** Bytes allocated since the previous GC, and promoted to old space by this one. */
  readonly allocated: number;
  readonly promoted: number;
}

function parseGc(line: string, at: number): TracedGc | undefined {
  const kind = /\bgc=(\w+)/.exec(line)?.[1];
  if (kind === undefined) return undefined;
  const major = kind !== "s" && kind !== "mmc";
  let background = 0;
  for (const m of line.matchAll(/ background\.[\w.]+=([\d.]+)/g)) background += Number(m[1]);
  const pauseMs = nvp(line, "pause");
  return {
    at,
    major,
    pauseMs,
    workMs: pauseMs + (major ? nvp(line, "incremental") : 0) + background,
    allocated: nvp(line, "allocated"),
    promoted: nvp(line, "promoted"),
  };
}

/** One measured window of the writer's run. */
export interface ConsoleWindow {
  /** The pair it belongs to (0-based): each pair has one window with a console, one without. */
  readonly pair: number;
  readonly console: boolean;
  /** SETs completed in the window. */
  readonly ops: number;
  readonly seconds: number;
  /** Server CPU in the window, every thread (ms). */
  readonly cpuMs: number | undefined;
  /** Server CPU of the main thread only (ms): the rest is GC helpers, the compiler, libuv. */
  readonly mainCpuMs: number | undefined;
  readonly minorGcs: number;
  /** Minor GC pauses (wall ms, from `--trace-gc-nvp`). */
  readonly minorGcMs: number;
  readonly majorGcs: number;
  /** Major GC pauses (wall ms). */
  readonly majorGcMs: number;
  /** Major GC work (wall ms, every thread: pause, incremental marking steps, helper threads). */
  readonly majorWorkMs: number;
  /** Bytes the server allocated in the window (MB), from its GCs' `allocated`. */
  readonly allocatedMb: number;
  /** Bytes its scavenges promoted to old space (MB): what brings the next major GC nearer. */
  readonly promotedMb: number;
  /** The 1-minute load average at the window's start. */
  readonly load: number;
  /** The console's calls to the server per second (console windows). */
  readonly callsPerS?: number;
  /** The browser's CPU per second of the window (ms). */
  readonly browserMsPerS: number;
}

/** What the console part hands the report: every window, the pace, the idle console's cost. */
export interface ConsoleCostDetails {
  /** The writer's pace (SETs per second). */
  readonly rate: number;
  readonly windowMs: number;
  readonly pinned: boolean;
  /** The writer pinned beside the browser, off the server's CPU. */
  readonly writerPinned?: boolean;
  readonly windows: ConsoleWindow[];
  /** Server CPU per second with the console open and the writer paused (ms), once before the pairs. */
  readonly idleCpuMsPerS?: number;
}

/** Options of {@link runConsoleCost}. */
export interface ConsoleCostOptions {
  /** Pairs of windows (each: one with a console, one without). */
  readonly pairs: number;
  readonly windowMs: number;
  readonly onProgress: (line: string) => void;
  readonly notes: string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** After a console closes, before the next window: its sockets close, its streams end. */
const CLOSE_SETTLE_MS = 1_000;

/** Runs the console-cost pairs; returns one sample per window (group `console`) and the details. */
export async function runConsoleCost(
  options: ConsoleCostOptions,
): Promise<{ samples: Sample[]; details?: ConsoleCostDetails }> {
  const { windowMs, onProgress, notes } = options;
  const pairs = Number(process.env.CONSOLE_COST_PAIRS ?? options.pairs);
  if (!existsSync(CHROMIUM)) {
    notes.push(`console part skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
    return { samples: [] };
  }
  onProgress("console: building the console (vite build)");
  execFileSync(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--logLevel", "error"], {
    stdio: "ignore",
  });
  // CONSOLE_COST_CPU_PROF=DIR: the server writes a V8 CPU profile there when it stops (node --cpu-prof).
  const profDir = process.env.CONSOLE_COST_CPU_PROF;
  const side = process.env.CONSOLE_COST_SIDE;
  // The server traces its GCs (one line each, a few a second): each window's count, pauses and
  // allocated bytes are reported beside the verdict.
  const server = await startMemorabilia(
    [],
    ["--trace-gc-nvp", ...(profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [])],
  );
  const gcs: TracedGc[] = [];
  if (server.child.stdout)
    createInterface({ input: server.child.stdout }).on("line", (line) => {
      const gc = parseGc(line, performance.now());
      if (gc) gcs.push(gc);
    });
  const gcIn = (t0: number, t1: number) => {
    const out = { minorGcs: 0, minorGcMs: 0, majorGcs: 0, majorGcMs: 0, majorWorkMs: 0, allocatedMb: 0, promotedMb: 0 };
    for (const g of gcs) {
      if (g.at < t0 || g.at > t1) continue;
      out.allocatedMb += g.allocated / 2 ** 20;
      if (g.major) {
        out.majorGcs++;
        out.majorGcMs += g.pauseMs;
        out.majorWorkMs += g.workMs;
      } else {
        out.minorGcs++;
        out.minorGcMs += g.pauseMs;
        out.promotedMb += g.promoted / 2 ** 20;
      }
    }
    return out;
  };
  // CONSOLE_COST_PIN (on a host with 2+ CPUs): the server on CPU 0, the browser and this process
  // (the writer) on the others; `server`: the writer left free, as until session 9; `0`: nothing
  // pinned. A console's browser runs on its user's machine, not on the server's: on this 2-core
  // host, unpinned, the browser's rendering competes for the server's core, and the server's CPU
  // per SET then measures that contention as much as the console's requests. The writer free,
  // the scheduler moves it onto the server's core whenever the browser is busy on the other one,
  // which only the console windows have: the server's CPU per SET then also counts that sharing
  // (cache, context switches), not the console's requests.
  const cpus = availableParallelism();
  const pinMode = process.env.CONSOLE_COST_PIN ?? "all";
  const pinned = pinMode !== "0" && cpus >= 2 && pin(server.pid, "0");
  const browserCpus = cpus > 2 ? `1-${cpus - 1}` : "1";
  const writerPinned = pinned && pinMode !== "server" && pin(process.pid, browserCpus);
  const pinBrowser = (): void => {
    if (pinned) for (const pid of descendants(process.pid)) if (pid !== server.pid) pin(pid, browserCpus);
  };
  notes.push(
    pinned
      ? `console: the server pinned to CPU 0, the browser to CPU ${browserCpus}, ${writerPinned ? `the writer (this process) to CPU ${browserCpus}` : "the writer unpinned"} (CONSOLE_COST_PIN=server: the writer free; 0: nothing pinned)`
      : "console: nothing pinned (CONSOLE_COST_PIN=0, one CPU, or no taskset): the browser competes with the server for its CPU",
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  pinBrowser();
  const samples: Sample[] = [];
  const windows: ConsoleWindow[] = [];
  let idleCpuMsPerS: number | undefined;
  /** Each write window as `side:startµs-endµs` of the monotonic clock (CONSOLE_COST_CPU_PROF only). */
  const monoWindows: string[] = [];
  const api = createServiceClients(createGrpcTransport({ baseUrl: server.url }));
  const value = new TextEncoder().encode("v".repeat(32));
  // The writer: paced (both sides do the same work per second, so the server's CPU per SET compares
  // the console's cost alone), and running from the first window to the last, so no window starts
  // with a ramp. A writer more than 200 ms behind its pace drops the debt instead of bursting.
  let done = 0;
  let writing = true;
  let stop = false;
  let writerError: unknown;
  const writer = (async () => {
    let t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (!stop) {
          if (!writing) {
            await sleep(20);
            t0 = performance.now();
            next = 0;
            continue;
          }
          const n = next++;
          let due = t0 + (n * 1000) / RATE;
          const now = performance.now();
          if (due < now - 200) {
            t0 = now - (n * 1000) / RATE;
            due = now;
          }
          if (due - now > 1) await sleep(due - now);
          await api.strings.set({ key: `cost:${n % KEYS}`, value });
          done++;
        }
      }),
    );
  })().catch((e) => {
    // Its windows then fall below the pace and are left out; the note says why.
    writerError = e;
  });
  const measure = async (pair: number, withConsole: boolean, calls: (() => number) | undefined) => {
    const load = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    const browser0 = browserCpuMs(server.pid);
    const calls0 = calls?.() ?? 0;
    const ops0 = done;
    const cpu0 = cpuMs(server.pid);
    const main0 = mainThreadMs(server.pid);
    const t0Mono = process.hrtime.bigint() / 1000n;
    const t0 = performance.now();
    await sleep(windowMs);
    const cpu1 = cpuMs(server.pid);
    const main1 = mainThreadMs(server.pid);
    const ops = done - ops0;
    const t1 = performance.now();
    const seconds = (t1 - t0) / 1000;
    const browserMs = browserCpuSince(browser0, browserCpuMs(server.pid));
    const callsPerS = calls === undefined ? undefined : (calls() - calls0) / seconds;
    monoWindows.push(`${withConsole ? "console" : "none"}:${t0Mono}-${process.hrtime.bigint() / 1000n}`);
    // GC lines reach the pipe a little after the GC: allow 50 ms (the next window starts later).
    await sleep(50);
    const w: ConsoleWindow = {
      pair,
      console: withConsole,
      ops,
      seconds,
      cpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
      mainCpuMs: main0 === undefined || main1 === undefined ? undefined : main1 - main0,
      ...gcIn(t0, t1 + 50),
      load,
      callsPerS,
      browserMsPerS: (browserMs * 1000) / (t1 - t0),
    };
    return w;
  };
  const perOp = (w: ConsoleWindow) => (w.cpuMs === undefined || w.ops === 0 ? Number.NaN : (w.cpuMs * 1000) / w.ops);
  try {
    await sleep(1_000); // warm-up: JIT, connections, the keys exist
    const openConsole = async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      pinBrowser(); // a new context may start a new renderer process
      await page.goto(server.url);
      await page.locator('[aria-label="Connection"][data-state="live"]').waitFor({ timeout: 30_000 });
      await page.locator(".line.key").first().waitFor({ timeout: 30_000 });
      // The steady state is what an open console costs: its start (modules, first pages, the
      // memory of the rows) is over before the window.
      await sleep(SETTLE_MS);
      let calls = 0;
      page.on("request", (r) => {
        if (r.url().includes("/memorabilia.v1.")) calls++;
      });
      return { context, calls: () => calls };
    };
    // Warm-up with a console opened and closed once, not judged: the first console's calls
    // (HTTP/1.1 gRPC-Web beside the writer's HTTP/2) make V8 compile and re-optimize the code both
    // share for both shapes, TurboFan's threads counted in the server's CPU. Measured in session 8
    // (--trace-deopt): 7-18 deopts and 30-50 µs of compiler-thread CPU per SET in the first
    // console window, then 0-2 deopts a window. The target is what a console open costs once it is
    // open; its first opening is reported in the notes, not hidden.
    onProgress("console: warm-up with a console opened once (not judged)");
    const firstOpen = await openConsole();
    const firstWindow = await measure(-1, true, firstOpen.calls);
    // The open console's own cost, the writer paused: server CPU per second (a constant, whatever the writer).
    writing = false;
    await sleep(500);
    {
      const c0 = cpuMs(server.pid);
      const t0 = performance.now();
      await sleep(2_000);
      const c1 = cpuMs(server.pid);
      if (c0 !== undefined && c1 !== undefined) idleCpuMsPerS = ((c1 - c0) * 1000) / (performance.now() - t0);
    }
    writing = true;
    await firstOpen.context.close();
    await sleep(CLOSE_SETTLE_MS);
    const afterFirst = await measure(-1, false, undefined);
    notes.push(
      `console: warm-up (not judged): the first console window ${perOp(firstWindow).toFixed(1)} µs CPU/SET, the writer alone after it ${perOp(afterFirst).toFixed(1)}; the open console with the writer paused: ${idleCpuMsPerS?.toFixed(1) ?? "?"} ms server CPU per second`,
    );
    for (let pair = 0; pair < pairs; pair++) {
      // A B, B A, …: neither side always runs first, and the two windows of a pair are adjacent.
      let order = pair % 2 === 0 ? [false, true] : [true, false];
      // CONSOLE_COST_SIDE=with|none: one side only (to profile it with CONSOLE_COST_CPU_PROF).
      if (side !== undefined) order = [side === "with"];
      for (const withConsole of order) {
        onProgress(`console: pair ${pair + 1}/${pairs}, ${withConsole ? "console open" : "no console"}`);
        const open = withConsole ? await openConsole() : undefined;
        const w = await measure(pair, withConsole, open?.calls);
        if (open) {
          await open.context.close();
          await sleep(CLOSE_SETTLE_MS);
        }
        windows.push(w);
        samples.push({
          group: "console",
          op: "SET",
          target: withConsole ? CONSOLE_TARGETS.with : CONSOLE_TARGETS.without,
          round: pair,
          ops: w.ops,
          seconds: w.seconds,
          serverCpuMs: w.cpuMs,
        });
      }
    }
  } finally {
    stop = true;
    await writer;
    await browser.close();
    await server.stop();
    // The parts after this one (and the processes they start, which inherit it) get every CPU back.
    if (writerPinned) pin(process.pid, `0-${cpus - 1}`);
  }
  const line = (w: ConsoleWindow) =>
    `${w.console ? "console" : "none"} ${Math.round(w.ops / w.seconds)}/s ${perOp(w).toFixed(1)} µs/SET (main ${w.mainCpuMs === undefined ? "?" : ((w.mainCpuMs * 1000) / w.ops).toFixed(1)}), GC ${w.minorGcs} minor + ${w.majorGcs} major (${w.majorGcMs.toFixed(0)} ms paused, ${w.majorWorkMs.toFixed(0)} ms of work), ${((w.allocatedMb * 1024) / w.ops).toFixed(1)} KB/SET allocated, ${((w.promotedMb * 2 ** 20) / w.ops).toFixed(0)} B/SET promoted${w.callsPerS === undefined ? "" : `, ${w.callsPerS.toFixed(1)} calls/s`}, browser ${w.browserMsPerS.toFixed(0)} ms/s, load ${w.load}`;
  for (let pair = 0; pair < pairs; pair++)
    notes.push(
      `console: pair ${pair + 1}: ${windows
        .filter((w) => w.pair === pair)
        .map(line)
        .join("; ")}`,
    );
  if (writerError !== undefined) notes.push(`console: the writer stopped: ${String(writerError).split("\n")[0]}`);
  // To slice the server's profile by window (e.g. one side's functions per SET).
  if (profDir) notes.push(`console: the writer's windows, monotonic µs: ${monoWindows.join(" ")}`);
  return { samples, details: { rate: RATE, windowMs, pinned, writerPinned, windows, idleCpuMsPerS } };
}
