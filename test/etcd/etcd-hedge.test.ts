/**
 * EtcdConnection.hedged (client.ts): a call etcd took during a leader election and lost is sent
 * again while no call needing a leader succeeds, so a write is answered soon after the new leader
 * rather than at its lost send's deadline; a call that is merely slow while others succeed is not
 * sent again. Fake sends, no etcd: the leader-kill figures are in `npm run bench -- --only=etcd`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { EtcdConnection, HEDGE_MS, MAX_SILENT_SENDS } from "../../server/engines/etcd/client.js";
import { EtcdCallError, GrpcCode } from "../../server/engines/etcd/kv-client.js";

const connections: EtcdConnection[] = [];
/** A connection to nowhere (nothing is dialled before a call) whose leader has been silent `silentMs`. */
function connection(silentMs: () => number, backAt: () => number = () => Number.NEGATIVE_INFINITY): EtcdConnection {
  const c = new EtcdConnection({ endpoints: ["http://127.0.0.1:9"], timeoutMs: 1000, retryBudgetMs: 3000 });
  connections.push(c);
  Object.assign(c.kv, { leaderSilentMs: silentMs, leaderBackAt: backAt });
  return c;
}
afterEach(() => {
  for (const c of connections.splice(0)) c.close();
});

const deadline = () => new EtcdCallError(GrpcCode.DEADLINE_EXCEEDED, "context deadline exceeded");
const never = () => new Promise<never>(() => {});
const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe("hedged etcd calls", () => {
  it("while the leader is silent, a lost send is sent again and the first answer wins", async () => {
    const c = connection(() => Number.POSITIVE_INFINITY);
    let sends = 0;
    const t0 = performance.now();
    const value = await c.hedged(() => (++sends === 3 ? later(5, "third") : never()));
    expect(value).toBe("third");
    expect(sends).toBe(3);
    // Two hedge pauses, not a deadline.
    expect(performance.now() - t0).toBeLessThan(900);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * HEDGE_MS - 5);
  });

  it("a slow send is not sent again while calls needing a leader succeed", async () => {
    const c = connection(() => 0);
    let sends = 0;
    expect(
      await c.hedged(() => {
        sends++;
        return later(HEDGE_MS * 3, "slow");
      }),
    ).toBe("slow");
    expect(sends).toBe(1);
  });

  it("a slow etcd that merely looks silent has at most MAX_SILENT_SENDS sends of a call in flight", async () => {
    // One sequential client of a slow etcd (slow disk) sees no call succeed for HEDGE_MS: without a
    // bound every slow call would be sent again every HEDGE_MS, more load on the etcd already slow.
    const c = connection(() => Number.POSITIVE_INFINITY);
    let sends = 0;
    const value = await c.hedged(() => {
      sends++;
      return later(HEDGE_MS * (MAX_SILENT_SENDS + 4), "slow");
    });
    expect(value).toBe("slow");
    expect(sends).toBe(MAX_SILENT_SENDS);
    expect(c.hedges).toBe(MAX_SILENT_SENDS - 1);
  });

  it("through an election, a lost send's deadline frees its place: the call is still sent every HEDGE_MS", async () => {
    // Sends lost to a member that believes in the dead leader end at their deadline; with only a
    // count of sends the call would wait for them all and then for a retry's backoff.
    const c = connection(() => Number.POSITIVE_INFINITY);
    let sends = 0;
    const lostAfter = HEDGE_MS * 2;
    const value = await c.hedged(() =>
      ++sends <= MAX_SILENT_SENDS
        ? later(lostAfter, undefined).then(() => Promise.reject(deadline()))
        : later(1, "new leader"),
    );
    expect(value).toBe("new leader");
    expect(sends).toBe(MAX_SILENT_SENDS + 1);
  });

  it("a send still unanswered once a leader is back is sent again at once (it was lost)", async () => {
    // Found through a server: its health probe's reads were answered by the new leader, so etcd
    // no longer looked silent, and a write sent before stayed lost until its deadline.
    let back = Number.NEGATIVE_INFINITY;
    const c = connection(
      () => 0,
      () => back,
    );
    let sends = 0;
    setTimeout(() => {
      back = performance.now();
    }, HEDGE_MS / 2);
    const t0 = performance.now();
    expect(await c.hedged(() => (++sends === 2 ? later(1, "second") : never()))).toBe("second");
    expect(sends).toBe(2);
    expect(performance.now() - t0).toBeLessThan(900);
  });

  it("rejects once every send has failed, or at once on an error a retry cannot fix", async () => {
    const c = connection(() => Number.POSITIVE_INFINITY);
    let sends = 0;
    const transient = await c
      .hedged(
        () => {
          sends++;
          return later(HEDGE_MS + 50, undefined).then(() => {
            throw new EtcdCallError(GrpcCode.UNAVAILABLE, "etcdserver: no leader");
          });
        },
        Date.now() + HEDGE_MS + 10,
      )
      .catch((e: unknown) => e);
    expect((transient as EtcdCallError).code).toBe(GrpcCode.UNAVAILABLE);
    expect(sends).toBe(2);
    const fatal = await c
      .hedged(() => Promise.reject(new EtcdCallError(GrpcCode.RESOURCE_EXHAUSTED, "request is too large")))
      .catch((e: unknown) => e);
    expect((fatal as EtcdCallError).code).toBe(GrpcCode.RESOURCE_EXHAUSTED);
  });

  it("through call(): retried on a fast 'no leader' until a send answers", async () => {
    const c = connection(() => Number.POSITIVE_INFINITY);
    let sends = 0;
    const value = await c.call(() =>
      ++sends < 4 ? Promise.reject(new EtcdCallError(GrpcCode.UNAVAILABLE, "etcdserver: no leader")) : later(1, "ok"),
    );
    expect(value).toBe("ok");
    expect(sends).toBe(4);
  });
});
