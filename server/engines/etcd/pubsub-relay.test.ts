/**
 * The Pub/Sub relay's own bounds, without etcd: an etcd that never answers (no quorum) while a
 * client keeps publishing must not grow the relay's queue past MAX_QUEUED_BYTES; what does not fit
 * is dropped and counted (at most once, as Redis's Pub/Sub), and local delivery is untouched.
 */
import { describe, expect, it } from "vitest";
import { PubSubHub } from "../../../shared/store/pubsub.js";
import type { EtcdConnection } from "./client.js";
import { decodeBatch, EtcdPubSubRelay, MAX_QUEUED_BYTES } from "./pubsub-relay.js";

describe("EtcdPubSubRelay", () => {
  it("a publisher faster than etcd cannot grow the queue past its bound; the rest is dropped and counted", () => {
    const warnings: object[] = [];
    let puts = 0;
    // Every put hangs, as with an etcd without quorum.
    const stuck = {
      timeoutMs: 100,
      call: () => {
        puts++;
        return new Promise(() => {});
      },
    } as unknown as EtcdConnection;
    const relay = new EtcdPubSubRelay(stuck, Buffer.from("p/m"), "me", { warn: (o) => warnings.push(o) });
    const hub = new PubSubHub();
    hub.relay = relay;
    const got: string[] = [];
    hub.subscriber((m) => got.push(m.message)).subscribe(["c"]);
    const message = "x".repeat(64 << 10);
    const sent = 1000; // 64 MiB in all
    for (let i = 0; i < sent; i++) expect(hub.publishFromClient("c", message)).toBe(1);
    expect(got).toHaveLength(sent);
    // One batch is in flight (taken off the queue); the queue itself stays within its bound.
    expect(puts).toBe(1);
    expect(relay.queued).toBeLessThanOrEqual(MAX_QUEUED_BYTES);
    expect(relay.counts.dropped).toBeGreaterThan(sent / 2);
    expect(warnings).toHaveLength(1);
  });

  it("batches decode to what was sent, byte for byte; anything else is not a batch", () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    const relay = new EtcdPubSubRelay(
      {
        timeoutMs: 100,
        call: async (op: (o: object) => Promise<unknown>) => op({}),
        client: { kv: { put: async (req: { value: Buffer }) => seen.push(req.value) } },
      } as unknown as EtcdConnection,
      Buffer.from("p/m"),
      "server-a",
      { warn: () => {} },
    );
    const seen: Buffer[] = [];
    relay.send("ch", all);
    relay.send(all, "");
    return new Promise<void>((resolve) => setTimeout(resolve, 10)).then(() => {
      const batches = seen.map((b) => decodeBatch(b));
      expect(batches.flatMap((b) => b?.messages ?? [])).toEqual([
        ["ch", all],
        [all, ""],
      ]);
      expect(batches.every((b) => b?.server === "server-a")).toBe(true);
      expect(decodeBatch(Buffer.from("not a batch"))).toBeUndefined();
      expect(decodeBatch((seen[0] as Buffer).subarray(0, -1))).toBeUndefined();
    });
  });
});
