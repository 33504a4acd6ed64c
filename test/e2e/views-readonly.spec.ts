import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { expect, test } from "playwright/test";
import { CommandService } from "../../shared/gen/memorabilia/v1/command_service_pb.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { row } from "./support.js";

/**
 * A read-only token sees the stream, bitmap and HyperLogLog views with every write hidden or
 * disabled (XADD, XDEL, XTRIM, group and pending actions, SETBIT, PFADD), and the reads they need
 * (XINFO, XPENDING, BITCOUNT, PFCOUNT) are allowed to it.
 */
const ADMIN = "adm1n-views-e2e-secret";
const VIEWER = "v1ewer-views-e2e-secret";
let server: ServerProcess;
test.beforeAll(async () => {
  server = await startServerProcess(["--token", `admin:admin:${ADMIN}`, "--token", `viewer:readonly:${VIEWER}`]);
});
test.afterAll(async () => {
  await server?.stop();
});

test("a read-only token reads streams, groups, bits and HyperLogLogs with no write control", async ({ page }) => {
  test.setTimeout(90_000);
  const enc = new TextEncoder();
  const admin = createClient(
    CommandService,
    createGrpcTransport({
      baseUrl: server.url,
      interceptors: [
        (next) => (req) => {
          req.header.set("Authorization", `Bearer ${ADMIN}`);
          return next(req);
        },
      ],
    }),
  );
  const run = (...args: string[]) => admin.execute({ args: args.map((a) => enc.encode(a)) });
  for (let i = 1; i <= 3; i++) await run("XADD", "ro:stream", `${i}-0`, "n", String(i));
  await run("XGROUP", "CREATE", "ro:stream", "g", "0");
  await run("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "ro:stream", ">");
  await run("SETBIT", "ro:bits", "3", "1");
  await run("PFADD", "ro:hll", "a", "b", "c");

  await page.addInitScript((token) => sessionStorage.setItem("memorabilia.token", token), VIEWER);
  await page.goto(server.url);
  await expect(page.locator("[data-role]")).toHaveText(/read-only/);

  await row(page, "ro:stream").click();
  const view = page.getByRole("region", { name: "Stream entries" });
  await expect(view.locator(".stream-entries tbody tr")).toHaveCount(3);
  await page.getByRole("region", { name: "Consumer groups" }).getByRole("button", { name: "g", exact: true }).click();
  await expect(page.getByRole("region", { name: "Group g" }).locator(".stream-pending tbody tr")).toHaveCount(2);
  await expect(page.getByRole("form", { name: "Add an entry" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Delete|Trim|\+ New group|Ack|Claim|Set ID|Destroy)/ })).toHaveCount(
    0,
  );

  await row(page, "ro:bits").click();
  await page.getByRole("radio", { name: "Bits (bitmap)" }).click();
  await expect(page.getByTestId("bitcount")).toContainText("1 of 8 bits set");
  await expect(page.getByRole("button", { name: "bit 3: 1" })).toBeDisabled();
  await expect(page.getByRole("form", { name: "Set a bit" })).toHaveCount(0);

  await row(page, "ro:hll").click();
  await expect(page.getByTestId("hll-summary")).toHaveText("HyperLogLog — ~3 distinct elements");
  await expect(page.getByRole("form", { name: "Add elements" })).toHaveCount(0);
  await expect(page.getByRole("alert")).toHaveCount(0);
});
