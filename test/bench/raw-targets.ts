/**
 * Load targets driven by the raw HTTP/2 gRPC client (raw-grpc.ts): Memorabilia's unary, Batch,
 * Pipeline and MGet/MSet, and etcd's Range/Put, all with requests encoded before the clock starts.
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  GetRequestSchema,
  MGetRequestSchema,
  MSetRequestSchema,
  SetRequestSchema,
} from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { BatchRequestSchema, type CommandSchema } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { KEYSPACE, type Target, type Workload } from "./clients.js";
import { bytesField, encode, frame, pipelineRequest, RawGrpc } from "./raw-grpc.js";

const VALUE = new TextEncoder().encode("vvvvvvvv");
const key = (i: number) => `bench:${i % KEYSPACE}`;
const S = "/memorabilia.v1.StringsService";
const T = "/memorabilia.v1.TransactionService";

type Command = MessageInitShape<typeof CommandSchema>;
const getCommand = (i: number): Command => ({ kind: { case: "get", value: { key: key(i) } } });
const setCommand = (i: number): Command => ({ kind: { case: "set", value: { key: key(i), value: VALUE } } });

/** `n` values of `make(i)`, cycled through by call number (call i uses entry i % n). */
function cycle<T>(n: number, make: (i: number) => T): (i: number) => T {
  const all = Array.from({ length: n }, (_, i) => make(i));
  return (i) => all[i % n] as T;
}

/** Memorabilia through the raw client: unary GET/SET, and Batch, Pipeline and MGet/MSet of `batch` keys. */
export function rawMemorabiliaTarget(url: string, pid: number, batch: number): Target {
  const c = new RawGrpc(url);
  const name = "memorabilia gRPC (raw h2)";
  // Batches of `batch` consecutive keys: call i covers keys i*batch … i*batch+batch-1.
  const groups = KEYSPACE / batch;
  const get = cycle(KEYSPACE, (i) => encode(GetRequestSchema, { key: key(i) }));
  const set = cycle(KEYSPACE, (i) => encode(SetRequestSchema, { key: key(i), value: VALUE }));
  const keysOf = (i: number) => Array.from({ length: batch }, (_, j) => i * batch + j);
  const batchGet = cycle(groups, (i) => encode(BatchRequestSchema, { commands: keysOf(i).map(getCommand) }));
  const batchSet = cycle(groups, (i) => encode(BatchRequestSchema, { commands: keysOf(i).map(setCommand) }));
  const mget = cycle(groups, (i) => encode(MGetRequestSchema, { keys: keysOf(i).map(key) }));
  const mset = cycle(groups, (i) =>
    encode(MSetRequestSchema, { entries: keysOf(i).map((k) => ({ key: key(k), value: VALUE })) }),
  );
  const pipeGet1 = cycle(KEYSPACE, (i) => pipelineRequest(i, getCommand(i)));
  const pipeSet1 = cycle(KEYSPACE, (i) => pipelineRequest(i, setCommand(i)));
  const pipeGetN = cycle(groups, (i) => Buffer.concat(keysOf(i).map((k) => pipelineRequest(k, getCommand(k)))));
  const pipeSetN = cycle(groups, (i) => Buffer.concat(keysOf(i).map((k) => pipelineRequest(k, setCommand(k)))));
  // One Pipeline stream per op, opened on first use (as one ioredis connection).
  const streams = new Map<string, ReturnType<RawGrpc["stream"]>>();
  const pipe = (op: string) => {
    let s = streams.get(op);
    if (s === undefined) {
      s = c.stream(`${T}/Pipeline`);
      streams.set(op, s);
    }
    return s;
  };
  const w = (group: Workload["group"], op: string, target: string, call: Workload["call"]): Workload => ({
    group,
    op,
    target,
    call,
  });
  return {
    name,
    pid,
    workloads: [
      w("unary", "GET", name, (i) => c.unary(`${S}/Get`, get(i)).then(() => 1)),
      w("unary", "SET", name, (i) => c.unary(`${S}/Set`, set(i)).then(() => 1)),
      w("batched", "GET", `memorabilia Batch x${batch} (raw h2)`, (i) =>
        c.unary(`${T}/Batch`, batchGet(i)).then(() => batch),
      ),
      w("batched", "SET", `memorabilia Batch x${batch} (raw h2)`, (i) =>
        c.unary(`${T}/Batch`, batchSet(i)).then(() => batch),
      ),
      w("batched", "GET", `memorabilia MGet x${batch} (raw h2)`, (i) =>
        c.unary(`${S}/MGet`, mget(i)).then(() => batch),
      ),
      w("batched", "SET", `memorabilia MSet x${batch} (raw h2)`, (i) =>
        c.unary(`${S}/MSet`, mset(i)).then(() => batch),
      ),
      w("batched", "GET", "memorabilia Pipeline x1, 50 in flight (raw h2)", (i) =>
        pipe("get1")
          .send(pipeGet1(i), 1)
          .then(() => 1),
      ),
      w("batched", "SET", "memorabilia Pipeline x1, 50 in flight (raw h2)", (i) =>
        pipe("set1")
          .send(pipeSet1(i), 1)
          .then(() => 1),
      ),
      w("batched", "GET", `memorabilia Pipeline x${batch} (raw h2)`, (i) =>
        pipe("getN")
          .send(pipeGetN(i), batch)
          .then(() => batch),
      ),
      w("batched", "SET", `memorabilia Pipeline x${batch} (raw h2)`, (i) =>
        pipe("setN")
          .send(pipeSetN(i), batch)
          .then(() => batch),
      ),
    ],
    close: () => {
      for (const s of streams.values()) s.close();
      c.close();
    },
  };
}

/** etcd through the same raw client: Range (GET) and Put (SET) of one key. */
export function rawEtcdTarget(url: string, pid: number): Target {
  const c = new RawGrpc(url);
  const name = "etcd gRPC (raw h2)";
  const range = cycle(KEYSPACE, (i) => frame(bytesField(1, key(i))));
  const put = cycle(KEYSPACE, (i) => frame(Buffer.concat([bytesField(1, key(i)), bytesField(2, VALUE)])));
  return {
    name,
    pid,
    workloads: [
      {
        group: "unary",
        op: "GET",
        target: name,
        call: (i) => c.unary("/etcdserverpb.KV/Range", range(i)).then(() => 1),
      },
      { group: "unary", op: "SET", target: name, call: (i) => c.unary("/etcdserverpb.KV/Put", put(i)).then(() => 1) },
    ],
    close: () => c.close(),
  };
}

/** The name of the raw client's floor target (a bare node:http2 server's fixed reply). */
export const RAW_FLOOR = "floor: bare node:http2 (raw h2)";

/**
 * The bare node:http2 floor (floor-child.ts, h2c) through the same raw client: it answers every
 * call with one fixed GetResponse, so its ops/s is the most any Node server can reach with this
 * client on this host, and bounds Memorabilia's ratio to etcd.
 */
export function rawFloorTarget(url: string, pid: number): Target {
  const c = new RawGrpc(url);
  const get = cycle(KEYSPACE, (i) => encode(GetRequestSchema, { key: key(i) }));
  const set = cycle(KEYSPACE, (i) => encode(SetRequestSchema, { key: key(i), value: VALUE }));
  return {
    name: RAW_FLOOR,
    pid,
    workloads: [
      { group: "unary", op: "GET", target: RAW_FLOOR, call: (i) => c.unary(`${S}/Get`, get(i)).then(() => 1) },
      { group: "unary", op: "SET", target: RAW_FLOOR, call: (i) => c.unary(`${S}/Set`, set(i)).then(() => 1) },
    ],
    close: () => c.close(),
  };
}
