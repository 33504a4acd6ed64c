/**
 * The fast lane's call context behaves as connect's `createHandlerContext` does: same fields,
 * the signal aborted at the deadline, at shutdown and by `abort`, request headers as a real
 * `Headers` (pseudo-headers left out, duplicates kept).
 */
import { Code, ConnectError, createContextKey, createContextValues, createHandlerContext } from "@connectrpc/connect";
import { afterEach, describe, expect, it, vi } from "vitest";
import { kPeekAborted } from "../../shared/api/invoke.js";
import { StringsService } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { LaneContext, type LaneContextInit } from "./grpc-lane-context.js";
import { NodeRequestHeaders } from "./node-request-headers.js";

const method = StringsService.method.get;
const headers = {
  ":method": "POST",
  ":path": "/memorabilia.v1.StringsService/Get",
  ":authority": "127.0.0.1:7379",
  "content-type": "application/grpc",
  authorization: "Bearer x",
  "x-many": ["a", "b"],
};

function init(over: Partial<LaneContextInit> = {}): LaneContextInit {
  return {
    spec: { kind: "unary", method, impl: () => ({}) },
    service: StringsService,
    headers,
    timeoutMs: undefined,
    shutdownSignal: undefined,
    contextValues: undefined,
    live: new Set(),
    ...over,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("LaneContext", () => {
  it("has the fields connect's createHandlerContext gives", () => {
    const values = createContextValues();
    const ours = new LaneContext(init({ contextValues: values }));
    const theirs = createHandlerContext({
      service: StringsService,
      method,
      requestMethod: "POST",
      protocolName: "grpc",
      url: "http://127.0.0.1:7379/memorabilia.v1.StringsService/Get",
      responseHeader: { "content-type": "application/grpc+proto" },
      responseTrailer: { "grpc-status": "0" },
      contextValues: values,
    });
    for (const k of ["service", "method", "requestMethod", "protocolName", "url", "values"] as const)
      expect(ours[k]).toBe(theirs[k]);
    expect([...ours.responseHeader]).toEqual([...theirs.responseHeader]);
    expect([...ours.responseTrailer]).toEqual([...theirs.responseTrailer]);
    expect(ours.timeoutMs()).toBeUndefined();
    expect(ours.signal.aborted).toBe(false);
    // merge() is connect's mergeRequest: the context with the request's service, header, signal, values.
    const other = createContextValues();
    const header = new Headers();
    const merged = ours.merge({ service: StringsService, header, contextValues: other });
    for (const k of [
      "method",
      "requestMethod",
      "protocolName",
      "url",
      "timeoutMs",
      "responseHeader",
      "responseTrailer",
    ] as const)
      expect(merged[k]).toBe(ours[k]);
    expect(merged.signal).toBe(ours.signal);
    expect(merged.requestHeader).toBe(header);
    expect(merged.values).toBe(other);
    const signal = new AbortController().signal;
    expect(ours.merge({ service: StringsService, header, contextValues: other, signal }).signal).toBe(signal);
    // A spread copy of the lane's request has no header or signal (getters): the call's own.
    const bare = ours.merge({ service: StringsService, contextValues: other });
    expect(bare.requestHeader).toBe(ours.requestHeader);
    expect(bare.signal).toBe(ours.signal);
  });

  it("gives the request headers without pseudo-headers, duplicates joined like Headers", () => {
    const ctx = new LaneContext(init());
    const expected = new Headers();
    expected.append("content-type", "application/grpc");
    expected.append("authorization", "Bearer x");
    expected.append("x-many", "a");
    expected.append("x-many", "b");
    expect(ctx.requestHeader).toBeInstanceOf(Headers);
    expect([...ctx.requestHeader]).toEqual([...expected]);
    expect(ctx.requestHeader.get("x-many")).toBe("a, b");
    expect([...ctx.requestHeader.keys()].some((k) => k.startsWith(":"))).toBe(false);
  });

  it("aborts at the deadline with DEADLINE_EXCEEDED, and stops the timer when aborted first", () => {
    vi.useFakeTimers();
    const live = new Set<LaneContext>();
    const ctx = new LaneContext(init({ timeoutMs: 100, live }));
    expect(live.size).toBe(1);
    expect(ctx.timeoutMs()).toBe(100);
    vi.advanceTimersByTime(99);
    expect(ctx.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(ctx.signal.aborted).toBe(true);
    expect(ConnectError.from(ctx.signal.reason).code).toBe(Code.DeadlineExceeded);
    const other = new LaneContext(init({ timeoutMs: 100, live }));
    other.abort("done");
    expect(live.has(other)).toBe(false);
    vi.advanceTimersByTime(200);
    expect(other.signal.reason).toBe("done");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("starts aborted for a deadline of 0, or when the shutdown has already come", () => {
    const zero = new LaneContext(init({ timeoutMs: 0 }));
    expect(ConnectError.from(zero.signal.reason).code).toBe(Code.DeadlineExceeded);
    const shutdown = new AbortController();
    shutdown.abort(new ConnectError("shutting down", Code.Unavailable));
    const live = new Set<LaneContext>();
    const late = new LaneContext(init({ shutdownSignal: shutdown.signal, live }));
    expect(late.signal.reason).toBe(shutdown.signal.reason);
    expect(live.size).toBe(0);
  });

  it("stays in the live set until aborted (the lane aborts that set at shutdown)", () => {
    const live = new Set<LaneContext>();
    const a = new LaneContext(init({ live }));
    const b = new LaneContext(init({ live }));
    expect(live.size).toBe(2);
    a.abort("finished");
    expect(live.size).toBe(1);
    for (const c of live) c.abort("shutdown");
    expect(b.signal.reason).toBe("shutdown");
    expect(a.signal.reason).toBe("finished");
  });

  it.each([
    ["deadline passed", () => vi.advanceTimersByTime(100), "deadline"],
    ["aborted", (c: LaneContext) => c.abort("why"), "why"],
    ["live", () => undefined, undefined],
  ] as const)("%s before the signal is first read: peek and the late signal agree", (_n, act, reason) => {
    vi.useFakeTimers();
    const ctx = new LaneContext(init({ timeoutMs: 100 }));
    act(ctx);
    const aborted = reason !== undefined;
    expect(ctx[kPeekAborted]()).toBe(aborted);
    expect(ctx.signal.aborted).toBe(aborted);
    if (reason === "deadline") expect(ConnectError.from(ctx.signal.reason).code).toBe(Code.DeadlineExceeded);
    else expect(ctx.signal.reason).toBe(reason);
    // A signal read before the abort is the same object, aborted later with the reason.
    const early = new LaneContext(init());
    const signal = early.signal;
    early.abort("later");
    expect(early.signal).toBe(signal);
    expect(signal.reason).toBe("later");
    expect(early[kPeekAborted]()).toBe(true);
  });

  /** The HEADERS and trailers connect-node would write from eagerly made Headers. */
  function eager(encoding: string | undefined, edit?: (h: Headers, t: Headers) => void) {
    const h = new Headers({ "content-type": "application/grpc+proto" });
    const t = new Headers({ "grpc-status": "0" });
    if (encoding !== undefined) h.set("grpc-encoding", encoding);
    edit?.(h, t);
    const out: Record<string, unknown> = { ":status": 200 };
    h.forEach((v, k) => {
      out[k] = v;
    });
    const trailers: Record<string, unknown> = {};
    t.forEach((v, k) => {
      trailers[k] = v;
    });
    return { out, trailers };
  }

  it.each([
    ["defaults", undefined, undefined],
    ["with grpc-encoding", "gzip", undefined],
    [
      "headers read and written",
      "gzip",
      (h: Headers, t: Headers) => {
        h.set("x-a", "1");
        t.set("grpc-message", "m");
      },
    ],
    ["headers written without encoding", undefined, (h: Headers) => h.append("a-first", "1")],
  ] as const)("outgoing headers and trailers: %s", (_n, encoding, edit) => {
    const ctx = new LaneContext(init());
    if (encoding !== undefined) ctx.setResponseEncoding(encoding);
    edit?.(ctx.responseHeader, ctx.responseTrailer);
    const want = eager(encoding, edit);
    // Same entries in the same order (the order they go on the wire).
    expect(Object.entries(ctx.outgoingHeaders())).toEqual(Object.entries(want.out));
    expect(Object.entries(ctx.outgoingTrailers())).toEqual(Object.entries(want.trailers));
  });

  it("untouched headers and trailers are one frozen object per protocol, not a literal per call", () => {
    const a = new LaneContext(init());
    const b = new LaneContext(init());
    expect(a.outgoingHeaders()).toBe(b.outgoingHeaders());
    expect(a.outgoingTrailers()).toBe(b.outgoingTrailers());
    expect(Object.isFrozen(a.outgoingHeaders())).toBe(true);
    expect(Object.isFrozen(a.outgoingTrailers())).toBe(true);
    expect(Object.entries(a.outgoingHeaders())).toEqual([
      [":status", 200],
      ["content-type", "application/grpc+proto"],
    ]);
    expect(Object.entries(a.outgoingTrailers())).toEqual([["grpc-status", "0"]]);
    // Touched, or with an encoding: the call's own object, not the shared one.
    a.responseTrailer.set("x-t", "1");
    expect(a.outgoingTrailers()).not.toBe(b.outgoingTrailers());
    expect(Object.isFrozen(a.outgoingTrailers())).toBe(false);
    b.setResponseEncoding("gzip");
    expect(b.outgoingHeaders()).not.toBe(new LaneContext(init()).outgoingHeaders());
  });

  it("grpc-encoding set after the Headers exist goes into them", () => {
    const ctx = new LaneContext(init());
    expect(ctx.responseHeader.get("grpc-encoding")).toBeNull();
    ctx.setResponseEncoding("br");
    expect(ctx.responseHeader.get("grpc-encoding")).toBe("br");
    expect(ctx.isResponseHeader(ctx.responseHeader)).toBe(true);
    expect(ctx.isResponseTrailer(ctx.responseHeader)).toBe(false);
    expect(ctx.outgoingHeaders()["grpc-encoding"]).toBe("br");
  });

  it("uses the given context values, or fresh ones", () => {
    const key = createContextKey<string>("none");
    const values = createContextValues().set(key, "v");
    expect(new LaneContext(init({ contextValues: values })).values.get(key)).toBe("v");
    expect(new LaneContext(init()).values.get(key)).toBe("none");
  });
});

describe("NodeRequestHeaders", () => {
  it.each([
    ["get", (h: Headers) => h.get("authorization")],
    ["has", (h: Headers) => h.has("x-many")],
    ["entries", (h: Headers) => [...h.entries()]],
    ["keys", (h: Headers) => [...h.keys()]],
    ["values", (h: Headers) => [...h.values()]],
    [
      "forEach",
      (h: Headers) => {
        const out: string[] = [];
        h.forEach((v, k) => {
          out.push(`${k}=${v}`);
        });
        return out;
      },
    ],
    [
      "set then read",
      (h: Headers) => {
        h.set("authorization", "y");
        return [...h];
      },
    ],
    [
      "append then read",
      (h: Headers) => {
        h.append("x-many", "c");
        return [...h];
      },
    ],
    [
      "delete then read",
      (h: Headers) => {
        h.delete("x-many");
        return [...h];
      },
    ],
    ["copied into new Headers", (h: Headers) => [...new Headers(h)]],
    ["getSetCookie", (h: Headers) => h.getSetCookie()],
  ])("%s: same as an eagerly filled Headers", (_name, op) => {
    const eager = new Headers();
    eager.append("content-type", "application/grpc");
    eager.append("authorization", "Bearer x");
    eager.append("x-many", "a");
    eager.append("x-many", "b");
    expect(op(new NodeRequestHeaders(headers))).toEqual(op(eager));
  });
});
