/**
 * Durability at process level (the bundled server): acknowledged means handed to the kernel in
 * every fsync mode; a full disk (a real, small tmpfs) answers MISCONF as UNAVAILABLE, keeps
 * reads prompt, loses nothing acknowledged and recovers by itself once space returns; an unusable
 * data dir stops the start with one line.
 */
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { StringsService } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { TransactionService } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { bundleEntry } from "../bench/bundle.js";
import { startServerProcess } from "../support/server-process.js";
import { tempDir } from "./support.js";

const bundle = (): string => bundleEntry("server/main.ts", "server-durability-test");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

/** Mounts a tmpfs of `bytes` (root only); undefined when this machine does not allow it. */
function mountTmpfs(bytes: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "mem-tmpfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

const codeOf = (error: unknown): Code => ConnectError.from(error).code;

/** Resolves with `p`, or rejects if it takes longer than `ms` (a hang is a failure, not a timeout of the suite). */
const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)),
  ]);

describe.each(["everysec", "no"] as const)("acknowledged means handed to the kernel (--fsync %s)", (fsync) => {
  it("every acknowledged SET is in the log file when the reply arrives", async () => {
    const dir = tempDir(`ack-${fsync}`);
    dirs.push(dir);
    const server = await startServerProcess(["--data-dir", dir, "--fsync", fsync], {}, bundle());
    try {
      const client = createClient(StringsService, createGrpcTransport({ baseUrl: server.url }));
      for (let i = 0; i < 150; i++) {
        const key = `ack:${fsync}:${i}:${"k".repeat(i % 13)}`;
        await client.set({ key, value: enc.encode(`v${i}`) });
        const logs = readdirSync(dir).filter((f) => f.endsWith(".log"));
        const text = logs.map((f) => dec.decode(readFileSync(join(dir, f)))).join("");
        expect(text.includes(key), `${key} is in the log once acknowledged`).toBe(true);
      }
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe("every RPC that writes waits for the log", () => {
  it("Batch, Exec and each Pipeline reply, over gRPC (lanes) and Connect", async () => {
    const dir = tempDir("ack-rpcs");
    dirs.push(dir);
    const server = await startServerProcess(["--data-dir", dir, "--fsync", "no"], {}, bundle());
    const inLog = (key: string): boolean =>
      readdirSync(dir)
        .filter((f) => f.endsWith(".log"))
        .some((f) => dec.decode(readFileSync(join(dir, f))).includes(key));
    const set = (key: string) => ({ kind: { case: "set" as const, value: { key, value: enc.encode("v") } } });
    try {
      for (const [name, transport] of [
        ["grpc", createGrpcTransport({ baseUrl: server.url })],
        ["connect", createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })],
      ] as const) {
        const tx = createClient(TransactionService, transport);
        for (let i = 0; i < 20; i++) {
          const keys = [`batch:${name}:${i}:a`, `batch:${name}:${i}:b`];
          await tx.batch({ commands: keys.map(set) });
          for (const k of keys) expect(inLog(k), `${k} after its Batch reply`).toBe(true);
          const multi = `exec:${name}:${i}`;
          await tx.exec({ commands: [set(multi)] });
          expect(inLog(multi), `${multi} after its Exec reply`).toBe(true);
        }
        if (name === "grpc") {
          // Pipeline (the stream lane): each reply comes once its command's write is in the log.
          const requests = (async function* () {
            for (let i = 0; i < 30; i++) {
              yield { id: BigInt(i), command: set(`pipe:${i}`) };
              await new Promise((r) => setTimeout(r, 2));
            }
          })();
          let n = 0;
          for await (const res of tx.pipeline(requests)) {
            expect(inLog(`pipe:${Number(res.id)}`), `pipe:${res.id} after its Pipeline reply`).toBe(true);
            n++;
          }
          expect(n).toBe(30);
        }
      }
    } finally {
      await server.stop();
    }
  }, 60_000);
});

const tmpfs = mountTmpfs(4 << 20);
afterAll(() => {
  if (tmpfs === undefined) return;
  try {
    execFileSync("umount", [tmpfs], { stdio: "ignore" });
  } catch {
    /* already unmounted */
  }
  rmSync(tmpfs, { recursive: true, force: true });
});

describe.runIf(tmpfs !== undefined)("a full disk (a 4 MiB tmpfs)", () => {
  it.each(["always", "everysec"] as const)(
    "--fsync %s: MISCONF as UNAVAILABLE, prompt reads, nothing acknowledged lost, recovery by itself",
    async (fsync) => {
      const root = join(tmpfs as string, fsync);
      mkdirSync(root);
      const data = join(root, "data");
      const server = await startServerProcess(["--data-dir", data, "--fsync", fsync], {}, bundle());
      const client = createClient(StringsService, createGrpcTransport({ baseUrl: server.url }));
      const acked = new Map<string, string>();
      try {
        for (let i = 0; i < 20; i++) {
          await client.set({ key: `pre:${i}`, value: enc.encode(`v${i}`) });
          acked.set(`pre:${i}`, `v${i}`);
        }
        // Fill the disk but for a few KiB, then write until the log cannot grow.
        const s = statfsSync(tmpfs as string);
        const filler = join(root, "filler");
        writeFileSync(filler, Buffer.alloc(Math.max(0, s.bavail * s.bsize - 24 * 1024)));
        const big = "x".repeat(2000);
        let firstError: unknown;
        for (let i = 0; i < 200 && firstError === undefined; i++) {
          try {
            await client.set({ key: `fill:${i}`, value: enc.encode(`${big}${i}`) });
            acked.set(`fill:${i}`, `${big}${i}`);
          } catch (error) {
            firstError = error;
          }
        }
        expect(firstError, "the disk filled up").toBeDefined();
        // The first failing write answers MISCONF, as UNAVAILABLE (server-side: retry later).
        expect(codeOf(firstError)).toBe(Code.Unavailable);
        expect(ConnectError.from(firstError).rawMessage).toMatch(
          /^MISCONF Errors writing to the append-only log: ENOSPC/,
        );
        // Writes stay refused, at once; reads answer at once.
        const again = await within(
          client.set({ key: "refused", value: enc.encode("x") }).then(
            () => "accepted",
            (e: unknown) => codeOf(e),
          ),
          5000,
          "a write while the disk is full",
        );
        expect(again).toBe(Code.Unavailable);
        for (const k of ["pre:0", "pre:19"]) {
          const got = await within(client.get({ key: k }), 5000, `GET ${k} while the disk is full`);
          expect(dec.decode(got.value)).toBe(acked.get(k));
        }
        // Space returns: the server recovers by itself (no restart, no command).
        unlinkSync(filler);
        const t0 = Date.now();
        let recovered = false;
        while (!recovered && Date.now() - t0 < 20_000) {
          recovered = await client.set({ key: "after", value: enc.encode("1") }).then(
            () => true,
            () => false,
          );
          if (!recovered) await new Promise((r) => setTimeout(r, 100));
        }
        expect(recovered, "writes are accepted again once space returns").toBe(true);
        acked.set("after", "1");
      } finally {
        await server.stop("SIGKILL");
      }
      // Nothing acknowledged is lost, and the files load whole.
      const again = await startServerProcess(["--data-dir", data, "--on-corrupt-tail", "refuse"], {}, bundle());
      try {
        const c2 = createClient(StringsService, createGrpcTransport({ baseUrl: again.url }));
        let lost = 0;
        for (const [k, v] of acked) if (dec.decode((await c2.get({ key: k })).value) !== v) lost++;
        expect(lost).toBe(0);
      } finally {
        await again.stop();
      }
    },
    90_000,
  );
});

describe("an unusable data dir", () => {
  it("stops the start with one line, not a stack trace", async () => {
    const file = join(tempDir("notadir"), "file");
    dirs.push(file.slice(0, file.lastIndexOf("/")));
    writeFileSync(file, "not a directory");
    const error = await startServerProcess(["--data-dir", join(file, "data")], {}, bundle()).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).toMatch(/exited with 2/);
    const lines = (error ?? "").split("\n").filter((l) => l.includes("memorabilia:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/memorabilia: cannot use the data dir .*ENOTDIR/);
    expect(error).not.toMatch(/\n\s+at /);
  }, 30_000);
});
