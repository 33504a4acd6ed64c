/**
 * Every typed RPC against the raw command it stands for, side by side: two identical stores (same
 * clock, same seeded random source), one driven by typed RPCs — alone, in Batch, in Pipeline and
 * in Exec — the other by `CommandService.Execute` of the raw equivalents written independently in
 * typed-raw-cases.ts. Replies, errors (gRPC code, store code, message) and the resulting keyspace
 * must match after every step. Arguments are seeded random: binary values with every byte 0–255,
 * empty values, text keys with NUL, Latin-1 and multi-byte characters, non-UTF-8 keys through
 * raw commands, extreme integers and doubles, deadlines past 2^53.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { type Client, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AuthService } from "../gen/memorabilia/v1/auth_service_pb.js";
import { CommandService, type Reply as ReplyMessage } from "../gen/memorabilia/v1/command_service_pb.js";
import { PubSubService } from "../gen/memorabilia/v1/pubsub_service_pb.js";
import { ServerService } from "../gen/memorabilia/v1/server_service_pb.js";
import { TransactionService } from "../gen/memorabilia/v1/transaction_service_pb.js";
import { WatchService } from "../gen/memorabilia/v1/watch_service_pb.js";
import type { Bytes } from "../store/bytes.js";
import { createCommandTable } from "../store/commands.js";
import type { Reply, Status } from "../store/reply.js";
import { createTestStore, seededRandom, type TestStore } from "../store/testing.js";
import type { Value } from "../store/value.js";
import { decodeValue, encodeValue, ValueType } from "../store/value-codec.js";
import { COMMAND_ROUTES } from "./command-dispatch.js";
import { ERROR_CODE_HEADER } from "./error-map.js";
import { MEMORABILIA_SERVICES, registerMemorabiliaServices } from "./register.js";
import { createTransactionService } from "./transaction-service.js";
import { allCases, type Case, Gen, hex, type Msg, type Plain, type RawArg, u8 } from "./typed-raw-cases.js";

/** A failed call or command: gRPC code, store code (header), message. */
interface Failure {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

type Outcome = { ok: Plain[] } | { error: Failure };

const failureOf = (error: unknown): Failure => {
  const ce = ConnectError.from(error);
  return { status: ce.code, code: ce.metadata.get(ERROR_CODE_HEADER) ?? "", message: ce.rawMessage };
};

/** A `Reply` message as plain data (see {@link Plain}). */
function plainOf(reply: ReplyMessage | undefined): Plain {
  const k = reply?.kind;
  switch (k?.case) {
    case "nil":
      return null;
    case "integer":
      return k.value;
    case "bulk":
      return { b: hex(k.value) };
    case "status":
      return { s: k.value };
    case "double":
      return { d: k.value };
    case "array":
      return k.value.elements.map(plainOf);
    default:
      throw new TypeError(`unexpected reply kind ${k?.case}`);
  }
}

const decoder = new TextDecoder();
const fromHex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => Number.parseInt(x, 16));

/**
 * The typed projection with its loose leaves (`{ d }`, `{ t }`) replaced by the raw leaf they
 * match, so `toEqual` against the raw replies shows real differences only.
 */
function settle(typed: Plain, raw: Plain): Plain {
  if (typed !== null && typeof typed === "object" && !Array.isArray(typed)) {
    if ("d" in typed && raw !== null && typeof raw === "object" && "b" in raw) {
      const text = decoder.decode(fromHex(raw.b));
      const n = /^[+-]?inf$/i.test(text) ? (text.startsWith("-") ? -Infinity : Infinity) : Number(text);
      return Object.is(n, typed.d) ? raw : typed;
    }
    if ("t" in typed && raw !== null && typeof raw === "object") {
      if ("b" in raw) return decoder.decode(fromHex(raw.b)) === typed.t ? raw : typed;
      if ("s" in raw) return raw.s === typed.t ? raw : typed;
    }
    return typed;
  }
  if (Array.isArray(typed) && Array.isArray(raw)) return typed.map((t, i) => settle(t, raw[i] ?? null));
  return typed;
}

/** The keyspace as plain data: every key (sorted), its type, deadline and contents. */
async function dump(t: TestStore): Promise<unknown[]> {
  const run = async (...argv: Bytes[]): Promise<Reply> => await t.store.run(argv);
  const keys = [...((await run("KEYS", "*")) as Bytes[])].sort();
  const out: unknown[] = [];
  for (const k of keys) {
    const type = ((await run("TYPE", k)) as Status).text;
    const at = await run("PEXPIRETIME", k);
    let value: Reply;
    if (type === "string") value = await run("GET", k);
    else if (type === "list") value = await run("LRANGE", k, "0", "-1");
    else if (type === "set") value = [...((await run("SMEMBERS", k)) as Bytes[])].sort();
    else if (type === "zset") value = await run("ZRANGE", k, "0", "-1", "WITHSCORES");
    else if (type === "stream") {
      // Entries, tombstones, counters, groups and pending entries, in the persistence encoding.
      const s = t.store.repository.atomic(null, t.clock.now(), (view) => view.lookup(k)) as Value;
      value = hex(encodeValue(s).body);
    } else {
      const flat = (await run("HGETALL", k)) as Bytes[];
      const pairs: string[][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] as Bytes, flat[i + 1] as Bytes]);
      value = pairs.sort((x, y) => (x[0] === y[0] ? 0 : (x[0] as string) < (y[0] as string) ? -1 : 1)).flat();
    }
    out.push([k, type, at, value]);
  }
  return out;
}

/**
 * Rebuilds a store from a dump (after a rolled-back Exec, whose raw side could not roll back):
 * both sides are rebuilt the same way, so their internal orders (SCAN, SPOP, …) agree again.
 */
async function load(t: TestStore, keyspace: unknown[]): Promise<void> {
  const run = async (...argv: Bytes[]): Promise<Reply> => await t.store.run(argv);
  await run("FLUSHALL");
  for (const entry of keyspace) {
    const [k, type, at, value] = entry as [Bytes, string, number, Bytes | Bytes[]];
    if (type === "string") await run("SET", k, value as Bytes);
    else if (type === "list") await run("RPUSH", k, ...(value as Bytes[]));
    else if (type === "set") await run("SADD", k, ...(value as Bytes[]));
    else if (type === "hash") await run("HSET", k, ...(value as Bytes[]));
    else if (type === "stream") {
      const s = decodeValue(ValueType.STREAM, fromHex(value as string));
      t.store.repository.atomic(null, t.clock.now(), (view) => view.put(k, s));
    } else {
      const flat = value as Bytes[];
      const args: Bytes[] = [];
      for (let i = 0; i < flat.length; i += 2) args.push(flat[i + 1] as Bytes, flat[i] as Bytes);
      await run("ZADD", k, ...args);
    }
    if (at !== -1) await run("PEXPIREAT", k, String(at));
  }
}

/** One side: a test store, every service over it in-process, what it logged. */
function side() {
  const t = createTestStore({ random: seededRandom(7) });
  const logged: unknown[] = [];
  const options = { logger: { error: (message: string) => logged.push(message) } };
  const transport = createRouterTransport((router) => {
    registerMemorabiliaServices(router, t.store, options);
    router.service(TransactionService, createTransactionService(t.store, options));
  });
  const clients = new Map<DescService, Client<DescService>>(
    MEMORABILIA_SERVICES.map((s) => [s, createClient(s, transport) as Client<DescService>]),
  );
  return { t, logged, clients, tx: createClient(TransactionService, transport) };
}

const TABLE = createCommandTable();

/** True when `argv` has the wrong number of arguments for its command (by the table's arity). */
function wrongArity(argv: readonly RawArg[]): boolean {
  const spec = TABLE.get(decoder.decode(u8(argv[0] ?? "")).toUpperCase());
  if (spec === undefined) return false;
  return spec.arity > 0 ? argv.length !== spec.arity : argv.length < -spec.arity;
}

/** The `Command` oneof case of each method (every typed RPC a Batch, Pipeline or Exec can carry). */
const CASE_OF_METHOD = new Map<DescMethod, string>([...COMMAND_ROUTES].map(([name, r]) => [r.method, name]));

const methodOf = (c: Case): DescMethod => {
  const m = c.service.methods.find((x) => x.localName === c.method);
  if (m === undefined) throw new TypeError(`${c.service.name}.${c.method}: no such method`);
  return m;
};

/** What the typed response stands for, as raw replies. */
const projectionOf = (c: Case, res: Msg, req: Msg): Plain[] =>
  c.method === "execute" ? [plainOf(res.reply)] : c.project(res, req);

/** Runs the raw equivalent of one typed request over Execute; every command runs, the first error wins. */
async function runRaw(raw: Client<typeof CommandService>, argvs: (string | Uint8Array)[][]): Promise<Outcome> {
  const replies: Plain[] = [];
  let error: Failure | undefined;
  for (const argv of argvs) {
    try {
      replies.push(plainOf((await raw.execute({ args: argv.map(u8) })).reply));
    } catch (e) {
      error ??= failureOf(e);
    }
  }
  return error === undefined ? { ok: replies } : { error };
}

function expectSame(typed: Outcome, raw: Outcome, what: () => string): void {
  if ("error" in raw) {
    expect(typed, what()).toEqual(raw);
    return;
  }
  if ("error" in typed) {
    expect(typed, what()).toEqual(raw);
    return;
  }
  expect(settle(typed.ok, raw.ok), what()).toEqual(raw.ok);
}

const show = (x: unknown): string =>
  JSON.stringify(x, (_k, v) =>
    typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? `0x${hex(v) || "(empty)"}` : v,
  );

type Mode = "unary" | "batch" | "pipeline" | "exec";

async function drive(seed: number, steps: number, modes: readonly Mode[]): Promise<Record<string, number>> {
  const a = side();
  const b = side();
  const r = new Gen(seededRandom(seed));
  const cases = allCases(() => a.t.clock.now());
  const inBatch = cases.filter((c) => CASE_OF_METHOD.has(methodOf(c)));
  const rawClient = b.clients.get(CommandService) as unknown as Client<typeof CommandService>;
  const seen: Record<string, number> = {};
  for (let step = 0; step < steps; step++) {
    const mode = r.pick(modes);
    const picked = Array.from({ length: mode === "unary" ? 1 : 1 + r.int(4) }, () =>
      r.pick(mode === "unary" ? cases : inBatch),
    );
    const requests = picked.map((c) => c.gen(r));
    const what = () =>
      `seed ${seed} step ${step} ${mode}: ${picked.map((c, i) => `${c.method} ${show(requests[i])}`).join("; ")}`;
    for (const c of picked) seen[c.method] = (seen[c.method] ?? 0) + 1;
    // Both sides read alike (a read applies lazy expiry, which moves RANDOMKEY's and SCAN's picks).
    const before = await dump(b.t);
    expect(await dump(a.t)).toEqual(before);

    // FLUSHALL/FLUSHDB cannot be rolled back, so Exec refuses the whole batch before running it.
    const flushAt = picked.findIndex(
      (c, i) =>
        c.method === "flushAll" ||
        (c.method === "execute" && /^flush(all|db)$/i.test(decoder.decode(requests[i].args[0]))),
    );
    // A command of the wrong arity (an XADD without fields, a GEOADD without members) is refused
    // before anything runs: EXECABORT, whatever the other commands would do.
    const arityAt = picked.findIndex((c, i) => wrongArity((c.raw(requests[i])[0] ?? []) as RawArg[]));
    if (mode === "exec" && flushAt < 0 && arityAt >= 0) {
      const commands = picked.map((c, i) => ({ kind: { case: CASE_OF_METHOD.get(methodOf(c)), value: requests[i] } }));
      const refused = await a.tx.exec({ commands } as Msg).then(() => undefined, failureOf);
      expect(refused?.code, what()).toBe("EXEC_ABORT");
      expect(refused?.message, what()).toContain(`(commands[${arityAt}]: ERR wrong number of arguments`);
      expect(await dump(a.t), `${what()}: nothing ran`).toEqual(before);
    } else if (mode === "exec" && flushAt >= 0) {
      const commands = picked.map((c, i) => ({ kind: { case: CASE_OF_METHOD.get(methodOf(c)), value: requests[i] } }));
      const refused = await a.tx.exec({ commands } as Msg).then(() => undefined, failureOf);
      expect(refused?.code, what()).toBe("EXEC_ABORT");
      expect(refused?.message, what()).toMatch(/^EXECABORT .*not allowed inside a transaction/);
      expect(await dump(a.t), `${what()}: nothing ran`).toEqual(before);
    } else if (mode === "exec") {
      const raws: Outcome[] = [];
      for (let i = 0; i < picked.length; i++) {
        const out = await runRaw(rawClient, (picked[i] as Case).raw(requests[i]));
        raws.push(out);
        if ("error" in out) break;
      }
      const commands = picked.map((c, i) => ({ kind: { case: CASE_OF_METHOD.get(methodOf(c)), value: requests[i] } }));
      let typed: Msg | Failure;
      try {
        typed = await a.tx.exec({ commands } as Msg);
      } catch (e) {
        typed = failureOf(e);
      }
      const failedAt = raws.findIndex((o) => "error" in o);
      if (failedAt >= 0) {
        const cause = (raws[failedAt] as { error: Failure }).error;
        expect(typed, what()).toEqual({
          ...cause,
          message: `${cause.message} (commands[${failedAt}]: the transaction was rolled back)`,
        });
        expect(await dump(a.t), `${what()}: rolled back`).toEqual(before);
        const keyspace = await dump(a.t);
        await load(a.t, keyspace);
        await load(b.t, keyspace);
      } else {
        expect(typed.committed, what()).toBe(true);
        typed.results.forEach((res: Msg, i: number) => {
          const c = picked[i] as Case;
          const outcome: Outcome =
            res.kind.case === "error"
              ? { error: { status: res.kind.value.status, code: res.kind.value.code, message: res.kind.value.message } }
              : { ok: projectionOf(c, res.kind.value, requests[i]) };
          expectSame(outcome, raws[i] as Outcome, () => `${what()} [${i}]`);
        });
      }
    } else {
      const typed: Outcome[] = [];
      if (mode === "unary") {
        const c = picked[0] as Case;
        const client = a.clients.get(c.service) as unknown as Record<string, (req: Msg) => Promise<Msg>>;
        try {
          typed.push({
            ok: projectionOf(c, await (client[c.method] as (q: Msg) => Promise<Msg>)(requests[0]), requests[0]),
          });
        } catch (e) {
          typed.push({ error: failureOf(e) });
        }
      } else {
        const commands = picked.map((c, i) => ({
          kind: { case: CASE_OF_METHOD.get(methodOf(c)), value: requests[i] },
        }));
        let results: Msg[];
        if (mode === "batch") results = (await a.tx.batch({ commands } as Msg)).results;
        else {
          async function* stream() {
            for (let i = 0; i < commands.length; i++) yield { id: BigInt(i), command: commands[i] } as Msg;
          }
          results = [];
          for await (const res of a.tx.pipeline(stream())) results.push(res.result);
        }
        results.forEach((res: Msg, i: number) => {
          typed.push(
            res.kind.case === "error"
              ? { error: { status: res.kind.value.status, code: res.kind.value.code, message: res.kind.value.message } }
              : { ok: projectionOf(picked[i] as Case, res.kind.value, requests[i]) },
          );
        });
      }
      for (let i = 0; i < picked.length; i++) {
        const raw = await runRaw(rawClient, (picked[i] as Case).raw(requests[i]));
        expectSame(typed[i] as Outcome, raw, () => `${what()} [${i}]`);
      }
    }
    expect(await dump(a.t), `${what()}: keyspace`).toEqual(await dump(b.t));
    const dt = r.pick([0, 0, 1, 500, 1000, 2000]);
    a.t.clock.advance(dt);
    b.t.clock.advance(dt);
  }
  expect(a.logged, "typed side logged unexpected errors").toEqual([]);
  expect(b.logged, "raw side logged unexpected errors").toEqual([]);
  return seen;
}

describe("typed RPCs against their raw commands", () => {
  const cases = allCases(() => 0);

  it("cover every unary RPC of every data service (or say why not)", () => {
    // RPCs with no raw command of their own, each for a stated reason.
    const excluded: Record<string, string> = {
      "CommandService.listCommands": "the command table as data (COMMAND), not a keyspace command",
    };
    const covered = new Set(cases.map((c) => `${c.service.name}.${c.method}`));
    for (const service of MEMORABILIA_SERVICES) {
      for (const m of service.methods) {
        if (m.methodKind !== "unary") continue;
        const name = `${service.name}.${m.localName}`;
        expect(covered.has(name) || name in excluded, `${name} has no differential case`).toBe(true);
      }
    }
    // The services outside MEMORABILIA_SERVICES: none runs a keyspace command a raw one stands for.
    for (const s of [AuthService, PubSubService, ServerService, WatchService, TransactionService]) {
      expect(MEMORABILIA_SERVICES).not.toContain(s);
    }
    // Every Command case (what Batch, Pipeline and Exec carry) has a case.
    for (const [name, route] of COMMAND_ROUTES) {
      expect(covered.has(`${route.service.name}.${route.method.localName}`), `Command.${name}`).toBe(true);
    }
  });

  const seen: Record<string, number> = {};
  const count = (counts: Record<string, number>) => {
    for (const [m, n] of Object.entries(counts)) seen[m] = (seen[m] ?? 0) + n;
  };

  // Four seeds: the RPCs that no Command case carries (scans, the blocking pops' siblings…) run
  // only in the unary steps, about 1 in 110 of them each.
  it.each([1, 2, 3, 7])(
    "match alone, in Batch and in Pipeline (seed %i)",
    async (seed) => {
      count(await drive(seed, 1500, ["unary", "unary", "batch", "pipeline"]));
    },
    120_000,
  );

  it.each([4, 5, 6])(
    "match in Exec, rollbacks included (seed %i)",
    async (seed) => {
      count(await drive(seed, 400, ["exec"]));
    },
    120_000,
  );

  it("ran every case", () => {
    for (const c of cases) expect(seen[c.method] ?? 0, `${c.method} never ran`).toBeGreaterThan(10);
  });
});
