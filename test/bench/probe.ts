import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { bundleEntry } from "./bundle.js";
import { type Started, track } from "./processes.js";

/** What a probe saw: its longest and median round trip, and how many it made. */
export interface ProbeResult {
  readonly maxMs: number;
  readonly medianMs: number;
  readonly count: number;
}

/**
 * A sequential round-trip probe in a child process (probe-child.ts): connected and warmed up when
 * {@link ChildProbe.open} resolves, recording between {@link start} and {@link stop} (as many
 * windows as wanted), stopped by {@link close}.
 */
export class ChildProbe {
  private constructor(
    private readonly started: Started,
    private readonly next: () => Promise<Record<string, unknown>>,
  ) {}

  /** Starts the probe against a Memorabilia URL (`grpc`, Health.Check) or a Redis port (`redis`, PING). */
  static async open(kind: "grpc" | "redis", target: string): Promise<ChildProbe> {
    const child = spawn(
      process.execPath,
      [bundleEntry("test/bench/probe-child.ts", "bench-probe-child"), kind, target],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    const started = track(`probe (${kind})`, child, 0, target);
    const messages: Record<string, unknown>[] = [];
    const stderr: string[] = [];
    let wake: (() => void) | undefined;
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      messages.push(JSON.parse(line) as Record<string, unknown>);
      wake?.();
    });
    createInterface({ input: child.stderr }).on("line", (l) => stderr.length < 20 && stderr.push(l));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const next = async (): Promise<Record<string, unknown>> => {
      // Generous: on a host at a load average of 20+, starting the client or collecting its figures takes seconds.
      const deadline = Date.now() + 120_000;
      while (messages.length === 0) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`probe gave no result:\n${stderr.join("\n")}`);
        await Promise.race([new Promise<void>((r) => (wake = r)), exited, new Promise((r) => setTimeout(r, 200))]);
      }
      return messages.shift() as Record<string, unknown>;
    };
    try {
      await next(); // {"ready":true}
    } catch (e) {
      await started.stop();
      throw e;
    }
    return new ChildProbe(started, next);
  }

  /** Starts recording round trips (a window). */
  start(): void {
    this.started.child.stdin?.write("start\n");
  }

  /** Ends the window and returns what was seen in it; the probe stays connected for the next one. */
  async stop(): Promise<ProbeResult> {
    this.started.child.stdin?.write("stop\n");
    const r = await this.next();
    return { maxMs: r.maxMs as number, medianMs: r.medianMs as number, count: r.count as number };
  }

  /**
   * The same probe over a window as long as `ms` with the server idle: a second after the last
   * window, so its tail is not counted. What the client sees with nothing to blame on the server.
   */
  async idleWindow(ms: number): Promise<ProbeResult> {
    await new Promise((r) => setTimeout(r, 1000));
    this.start();
    await new Promise((r) => setTimeout(r, ms));
    return this.stop();
  }

  /** Stops the child. */
  close(): Promise<void> {
    return this.started.stop();
  }
}
