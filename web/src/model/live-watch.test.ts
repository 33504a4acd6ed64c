import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { KeyspaceEvent } from "../../../shared/gen/memorabilia/v1/watch_service_pb.js";
import type { Clients } from "../api/clients.js";
import { type LiveState, startLiveWatch } from "./live-watch.js";

/** One Watch call's script: messages to yield, then how the stream ends. */
interface Attempt {
  readonly messages: readonly ("heartbeat" | KeyspaceEvent[])[];
  /** An error to throw, "hang" to stay open until aborted, or "end" to finish normally. */
  readonly end: ConnectError | "hang" | "end";
}

/** Clients whose Watch plays the attempts in order (the last one repeats). */
function fakeClients(attempts: Attempt[]) {
  const calls: { pattern: string; heartbeatMs: number }[] = [];
  const watch = (req: { pattern: string; heartbeatMs: number }, opts: { signal: AbortSignal }) => {
    const attempt = attempts[Math.min(calls.length, attempts.length - 1)] as Attempt;
    calls.push(req);
    return (async function* () {
      for (const m of attempt.messages) {
        yield m === "heartbeat"
          ? { kind: { case: "heartbeat", value: {} } }
          : { kind: { case: "events", value: { events: m } } };
      }
      if (attempt.end === "end") return;
      if (attempt.end === "hang") {
        await new Promise((_, reject) => {
          const abort = () => reject(opts.signal.reason ?? new Error("aborted"));
          if (opts.signal.aborted) abort();
          opts.signal.addEventListener("abort", abort);
        });
      }
      throw attempt.end;
    })();
  };
  return { clients: { watch: { watch } } as unknown as Clients, calls };
}

function record(clients: Clients) {
  const states: LiveState[] = [];
  const events: KeyspaceEvent[][] = [];
  let resyncs = 0;
  let unauthenticated = 0;
  const stop = startLiveWatch(clients, {
    pattern: "p*",
    onEvents: (e) => events.push(e.slice()),
    onState: (s) => states.push(s),
    onResync: () => resyncs++,
    onUnauthenticated: () => unauthenticated++,
  });
  return {
    stop,
    states,
    events,
    kinds: () => states.map((s) => s.kind),
    resyncs: () => resyncs,
    unauthenticated: () => unauthenticated,
  };
}

const ev = { key: "k", event: "set" } as KeyspaceEvent;

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, "random").mockReturnValue(0); // the smallest jitter: half the backoff
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("startLiveWatch", () => {
  it("goes live on the first message, delivers events, and asks for heartbeats over the pattern", async () => {
    const { clients, calls } = fakeClients([{ messages: ["heartbeat", [ev]], end: "hang" }]);
    const w = record(clients);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.kinds()).toEqual(["connecting", "live"]);
    expect(w.events).toEqual([[ev]]);
    expect(w.resyncs()).toBe(0);
    expect(calls).toEqual([expect.objectContaining({ pattern: "p*", heartbeatMs: 1000, includeTtl: true })]);
    w.stop();
  });

  it("reconnects with exponential backoff, and asks for a rescan once live again", async () => {
    const broken = new ConnectError("server restarting", Code.Unavailable);
    const { clients, calls } = fakeClients([
      { messages: ["heartbeat"], end: broken },
      { messages: [], end: broken },
      { messages: [], end: broken },
      { messages: ["heartbeat"], end: "hang" },
    ]);
    const w = record(clients);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.states.at(-1)).toEqual({ kind: "reconnecting", inMs: 125, attempt: 1, reason: "server restarting" });
    await vi.advanceTimersByTimeAsync(125);
    expect(w.states.at(-1)).toMatchObject({ kind: "reconnecting", inMs: 250, attempt: 2 });
    await vi.advanceTimersByTimeAsync(249);
    expect(calls).toHaveLength(2); // still waiting
    await vi.advanceTimersByTimeAsync(1);
    expect(w.states.at(-1)).toMatchObject({ kind: "reconnecting", inMs: 500, attempt: 3 });
    await vi.advanceTimersByTimeAsync(500);
    expect(w.states.at(-1)).toEqual({ kind: "live" });
    expect(w.resyncs()).toBe(1);
    w.stop();
  });

  it("caps the backoff at 5 s", async () => {
    const { clients } = fakeClients([{ messages: [], end: new ConnectError("down", Code.Unavailable) }]);
    const w = record(clients);
    await vi.advanceTimersByTimeAsync(60_000);
    const waits = w.states.flatMap((s) => (s.kind === "reconnecting" ? [s.inMs] : []));
    expect(waits.slice(0, 7)).toEqual([125, 250, 500, 1000, 2000, 2500, 2500]);
    w.stop();
  });

  it("takes a stream silent past three heartbeats as dead", async () => {
    const { clients, calls } = fakeClients([{ messages: ["heartbeat"], end: "hang" }]);
    const w = record(clients);
    await vi.advanceTimersByTimeAsync(3999);
    expect(w.kinds()).toEqual(["connecting", "live"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.states.at(-1)).toMatchObject({ kind: "reconnecting", reason: "no heartbeat" });
    await vi.advanceTimersByTimeAsync(125);
    expect(calls).toHaveLength(2);
    w.stop();
  });

  it("reports a server without Watch as unsupported and looks again later", async () => {
    const { clients, calls } = fakeClients([{ messages: [], end: new ConnectError("no", Code.Unimplemented) }]);
    const w = record(clients);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.states.at(-1)).toEqual({ kind: "unsupported", reason: "the server has no Watch service" });
    await vi.advanceTimersByTimeAsync(14_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    w.stop();
  });

  it("asks for a token on UNAUTHENTICATED, then retries", async () => {
    const { clients, calls } = fakeClients([
      { messages: [], end: new ConnectError("who are you", Code.Unauthenticated) },
      { messages: ["heartbeat"], end: "hang" },
    ]);
    const w = record(clients);
    await vi.advanceTimersByTimeAsync(125);
    expect(w.unauthenticated()).toBe(1);
    expect(calls).toHaveLength(2);
    expect(w.states.at(-1)).toEqual({ kind: "live" });
    expect(w.resyncs()).toBe(0); // never live before: nothing was missed
    w.stop();
  });

  it("stops for good: no more calls or states", async () => {
    const { clients, calls } = fakeClients([{ messages: [], end: new ConnectError("down", Code.Unavailable) }]);
    const w = record(clients);
    await vi.advanceTimersByTimeAsync(0);
    w.stop();
    const seen = w.states.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls).toHaveLength(1);
    expect(w.states).toHaveLength(seen);
  });
});
