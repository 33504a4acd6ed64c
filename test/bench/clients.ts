import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Etcd3 } from "etcd3";
import { Redis } from "ioredis";
import { Health } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { StringsService } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { TransactionService } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import type { Call } from "./load.js";

/** One workload a target offers: a table row (group, op, target name) and its call. */
export interface Workload {
  readonly group: "unary" | "batched" | "stack";
  readonly op: string;
  readonly target: string;
  readonly call: Call;
}

/** A load target: its workloads, the server PID to meter, and how to close the client. */
export interface Target {
  readonly name: string;
  readonly pid: number | undefined;
  readonly workloads: readonly Workload[];
  close(): Promise<void> | void;
}

const VALUE = new TextEncoder().encode("vvvvvvvv");
const VALUE_TEXT = "vvvvvvvv";

/** One operation done when `p` settles. */
const one = (p: Promise<unknown>): Promise<number> => p.then(() => 1);

/** Keys cycle through this many names, so GET mostly hits and memory stays bounded. */
export const KEYSPACE = 10_000;
const key = (i: number) => `bench:${i % KEYSPACE}`;

type Protocol = "grpc" | "grpc-web" | "connect";

/** Memorabilia through connect-node: gRPC over HTTP/2, or gRPC-Web / Connect over HTTP/1.1. */
export function connectTarget(protocol: Protocol, baseUrl: string, pid: number, batch: number): Target {
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl })
      : protocol === "grpc-web"
        ? createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })
        : createConnectTransport({ baseUrl, httpVersion: "1.1" });
  const strings: Client<typeof StringsService> = createClient(StringsService, transport);
  const health = createClient(Health, transport);
  const transaction = createClient(TransactionService, transport);
  const entries = (i: number) => Array.from({ length: batch }, (_, j) => ({ key: key(i * batch + j), value: VALUE }));
  const keys = (i: number) => Array.from({ length: batch }, (_, j) => key(i * batch + j));
  const name = `memorabilia ${protocol === "grpc" ? "gRPC (connect-node)" : protocol === "grpc-web" ? "gRPC-Web h1.1" : "Connect h1.1"}`;
  const workloads: Workload[] = [
    {
      group: "unary",
      op: "GET",
      target: name,
      call: async (i) => {
        await strings.get({ key: key(i) });
        return 1;
      },
    },
    {
      group: "unary",
      op: "SET",
      target: name,
      call: async (i) => {
        await strings.set({ key: key(i), value: VALUE });
        return 1;
      },
    },
    {
      group: "stack",
      op: "Health.Check",
      target: name,
      call: async () => {
        await health.check({ service: "" });
        return 1;
      },
    },
  ];
  if (protocol === "grpc") {
    workloads.push(
      {
        group: "batched",
        op: "SET",
        target: `memorabilia MSet x${batch} (connect-node)`,
        call: async (i) => {
          await strings.mSet({ entries: entries(i) });
          return batch;
        },
      },
      {
        group: "batched",
        op: "GET",
        target: `memorabilia Batch x${batch} (connect-node)`,
        call: async (i) => {
          await transaction.batch({ commands: keys(i).map((k) => ({ kind: { case: "get", value: { key: k } } })) });
          return batch;
        },
      },
      {
        group: "batched",
        op: "SET",
        target: `memorabilia Batch x${batch} (connect-node)`,
        call: async (i) => {
          await transaction.batch({ commands: entries(i).map((e) => ({ kind: { case: "set", value: e } })) });
          return batch;
        },
      },
      {
        group: "batched",
        op: "GET",
        target: `memorabilia MGet x${batch} (connect-node)`,
        call: async (i) => {
          await strings.mGet({ keys: keys(i) });
          return batch;
        },
      },
    );
  }
  return { name, pid, workloads, close: () => {} };
}

/** Memorabilia through @grpc/grpc-js with proto-loader (as etcd's Node clients use gRPC). */
export function grpcJsTarget(port: number, pid: number): Target {
  const protoDir = join(process.cwd(), "proto");
  const def = protoLoader.loadSync(join(protoDir, "memorabilia/v1/strings_service.proto"), {
    includeDirs: [protoDir],
    longs: String,
    defaults: false,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    memorabilia: { v1: { StringsService: grpc.ServiceClientConstructor } };
  };
  const client = new pkg.memorabilia.v1.StringsService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const unary = (method: string, request: object) =>
    new Promise<void>((resolve, reject) => {
      (client[method] as (r: object, cb: (e: grpc.ServiceError | null) => void) => void)(request, (e) =>
        e ? reject(e) : resolve(),
      );
    });
  const name = "memorabilia gRPC (grpc-js)";
  return {
    name,
    pid,
    workloads: [
      { group: "unary", op: "GET", target: name, call: (i) => one(unary("Get", { key: key(i) })) },
      {
        group: "unary",
        op: "SET",
        target: name,
        call: (i) => one(unary("Set", { key: key(i), value: Buffer.from(VALUE) })),
      },
    ],
    close: () => client.close(),
  };
}

/** Redis through ioredis on one connection; optionally auto-pipelined. */
export function redisTarget(port: number, pid: number, autoPipelining: boolean, batch: number): Target {
  const redis = new Redis({ host: "127.0.0.1", port, enableAutoPipelining: autoPipelining, lazyConnect: false });
  const name = autoPipelining ? "redis ioredis auto-pipelining" : "redis ioredis";
  const set: Call = (i) => one(redis.set(key(i), VALUE_TEXT));
  const get: Call = (i) => one(redis.get(key(i)));
  const workloads: Workload[] = autoPipelining
    ? [
        { group: "batched", op: "SET", target: name, call: set },
        { group: "batched", op: "GET", target: name, call: get },
      ]
    : [
        { group: "unary", op: "SET", target: name, call: set },
        { group: "unary", op: "GET", target: name, call: get },
        { group: "batched", op: "SET", target: name, call: set },
        { group: "batched", op: "GET", target: name, call: get },
        {
          group: "batched",
          op: "SET",
          target: `redis ioredis pipeline x${batch}`,
          call: async (i) => {
            const p = redis.pipeline();
            for (let j = 0; j < batch; j++) p.set(key(i * batch + j), VALUE_TEXT);
            await p.exec();
            return batch;
          },
        },
        {
          group: "batched",
          op: "GET",
          target: `redis ioredis pipeline x${batch}`,
          call: async (i) => {
            const p = redis.pipeline();
            for (let j = 0; j < batch; j++) p.get(key(i * batch + j));
            await p.exec();
            return batch;
          },
        },
      ];
  return {
    name,
    pid,
    workloads,
    close: async () => {
      redis.disconnect();
    },
  };
}

/** etcd through etcd3 (Put / Range over grpc-js). */
export function etcdTarget(url: string, pid: number): Target {
  const client = new Etcd3({ hosts: url });
  const name = "etcd etcd3";
  return {
    name,
    pid,
    workloads: [
      { group: "unary", op: "GET", target: name, call: (i) => one(client.get(key(i)).string()) },
      { group: "unary", op: "SET", target: name, call: (i) => one(client.put(key(i)).value(VALUE_TEXT).exec()) },
    ],
    close: () => client.close(),
  };
}
