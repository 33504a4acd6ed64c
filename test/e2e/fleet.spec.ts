import { expect, type Page, test } from "playwright/test";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { type NodeClient, nodeClient, row } from "./support.js";

/**
 * The console against a fleet: two `dist/server.mjs --engine etcd` processes on one real
 * 3-member etcd cluster (free loopback ports, stopped by PID). A console pointed at either server
 * shows live what the other server's clients do (new keys, TTL countdowns ending in one expiry,
 * deletes), an edit saved in one console is read through the other server and shown live in a
 * console on it, and a concurrent edit through the other server is detected, never overwritten.
 */

const dec = new TextDecoder();
const bulk = (reply: Awaited<ReturnType<NodeClient["run"]>>): string | null =>
  reply?.kind.case === "bulk" ? dec.decode(reply.kind.value) : null;
const notSaved = (page: Page) => page.getByRole("dialog", { name: "Not saved" });

let cluster: EtcdCluster | undefined;
const servers: ServerProcess[] = [];

test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startEtcdCluster();
  const etcdPrefix = `console-fleet/${process.pid}/${Date.now().toString(36)}/`;
  for (let i = 0; i < 2; i++) {
    servers.push(
      await startServerProcess([
        "--engine",
        "etcd",
        "--etcd-endpoints",
        cluster.endpoints.join(","),
        "--etcd-prefix",
        etcdPrefix,
        "--etcd-sweeper-ttl",
        "2",
      ]),
    );
  }
});

test.afterAll(async () => {
  test.setTimeout(60_000);
  for (const s of servers) await s.stop();
  await cluster?.stop();
});

/** Opens the console served by `url` and waits until its live stream is up, with the list filtered on `glob`. */
async function openOn(page: Page, url: string, glob: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByRole("status", { name: "Connection" })).toHaveAttribute("data-state", "live", {
    timeout: 20_000,
  });
  await page.getByRole("searchbox", { name: "Find keys" }).fill(glob);
}

test("a console on server B shows live what clients of server A do, and its edits reach A", async ({ browser }) => {
  test.setTimeout(120_000);
  const [a, b] = servers as [ServerProcess, ServerProcess];
  expect(a.pid).not.toBe(b.pid);
  const p = `fleet:${Date.now().toString(36)}:`;
  const apiA = nodeClient(a.url);
  const apiB = nodeClient(b.url);
  const pageB = await browser.newPage();
  const pageA = await browser.newPage();
  try {
    await openOn(pageB, b.url, `${p}*`);
    await openOn(pageA, a.url, `${p}*`);

    // A key written through A appears in B's console without a reload.
    await apiA.run("SET", `${p}str`, "from-a");
    await expect(row(pageB, `${p}str`)).toBeVisible({ timeout: 10_000 });
    await row(pageB, `${p}str`).click();
    const valueB = pageB.getByRole("textbox", { name: "Value" });
    await expect(valueB).toHaveValue("from-a");

    // A TTL set through A counts down in B's console and the key leaves both consoles once it expires
    // (the expiry is swept by one server of the fleet and reaches every Watch stream once).
    await apiA.run("SET", `${p}ttl`, "soon", "PX", "4000");
    const ttlB = row(pageB, `${p}ttl`).locator(".c-ttl");
    await expect(ttlB).toHaveText(/^[234]s$/, { timeout: 10_000 });
    const first = Number((await ttlB.textContent())?.replace("s", ""));
    await expect(ttlB).toHaveText(`${first - 1}s`, { timeout: 3000 });
    await expect(row(pageB, `${p}ttl`)).toHaveCount(0, { timeout: 15_000 });
    await expect(row(pageA, `${p}ttl`)).toHaveCount(0, { timeout: 15_000 });
    expect(await apiB.run("EXISTS", `${p}ttl`)).toMatchObject({ kind: { case: "integer", value: 0n } });

    // B's console edits the value; A reads it, and A's console (showing the key) updates live.
    await row(pageA, `${p}str`).click();
    const valueA = pageA.getByRole("textbox", { name: "Value" });
    await expect(valueA).toHaveValue("from-a");
    await valueB.fill("from-console-b");
    await pageB.getByRole("button", { name: "Save value" }).click();
    await expect.poll(async () => bulk(await apiA.run("GET", `${p}str`)), { timeout: 10_000 }).toBe("from-console-b");
    await expect(valueA).toHaveValue("from-console-b", { timeout: 10_000 });

    // A concurrent write through A while B's console edits: detected, and never overwritten silently.
    await valueB.fill("mine");
    await apiA.run("SET", `${p}str`, "theirs");
    await expect(pageB.getByRole("status").filter({ hasText: "Another client changed this value" })).toBeVisible({
      timeout: 10_000,
    });
    await pageB.getByRole("button", { name: "Save value" }).click();
    await expect(notSaved(pageB)).toContainText("another client changed");
    await notSaved(pageB).getByRole("button", { name: "Discard my edit" }).click();
    expect(bulk(await apiA.run("GET", `${p}str`))).toBe("theirs");
    await expect(valueB).toHaveValue("theirs");

    // A hash field changed through A while B's console edits it: the save asks.
    await apiA.run("HSET", `${p}hash`, "f", "v0");
    await row(pageB, `${p}hash`).click();
    const table = pageB.getByRole("region", { name: /elements$/ });
    await table.getByRole("button", { name: "Edit f" }).click();
    await apiA.run("HSET", `${p}hash`, "f", "theirs");
    await table.getByLabel("New Value").fill("mine");
    await table.getByRole("button", { name: "Save" }).click();
    await expect(notSaved(pageB)).toContainText("field “f” was changed or removed by another client");
    await notSaved(pageB).getByRole("button", { name: "Discard my edit" }).click();
    expect(bulk(await apiB.run("HGET", `${p}hash`, "f"))).toBe("theirs");

    // A delete through B leaves A's console live.
    await apiB.run("DEL", `${p}str`);
    await expect(row(pageA, `${p}str`)).toHaveCount(0, { timeout: 10_000 });
    await expect(row(pageB, `${p}hash`)).toBeVisible();
    await expect(row(pageA, `${p}hash`)).toBeVisible();
  } finally {
    await pageA.close();
    await pageB.close();
  }
});
