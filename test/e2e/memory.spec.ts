import { expect, test } from "playwright/test";
import { filterKeys, nodeClient, openConsole, prefix, row } from "./support.js";

/**
 * Issue 15 item 8: the list's sort by size mixed a string's bytes with a container's element
 * count and covered only the loaded keys. Keys now show their memory (MEMORY USAGE), sort by it,
 * and the footer says what a sort covers, with a way to load every matching key first.
 */
test("a Memory column (MEMORY USAGE), sorted largest first over every matching key", async ({ page }) => {
  test.setTimeout(120_000);
  const p = prefix("mem");
  const api = nodeClient();
  // A 5,000-byte string (size 5,000) and a hash of 1,000 fields of 1 KiB (size 1,000, ~1 MiB):
  // by size the string came first; by memory the hash is far larger.
  await api.run("SET", `${p}str`, "x".repeat(5000));
  const args = ["HSET", `${p}hash`];
  for (let i = 0; i < 1000; i++) args.push(`f${i}`, "v".repeat(1024));
  await api.run(...args);
  for (let i = 0; i < 400; i++) await api.run("SET", `${p}small:${i}`, String(i));
  const usage = async (key: string) => {
    const r = await api.run("MEMORY", "USAGE", key);
    return r?.kind.case === "integer" ? Number(r.kind.value) : -1;
  };

  await openConsole(page);
  await filterKeys(page, `${p}*`);
  // The first page is loaded, not every key: the sort says it covers the loaded keys only.
  await page.getByRole("combobox", { name: "Sort loaded keys" }).selectOption("memory");
  const scope = page.getByTestId("sort-scope");
  await expect(scope).toContainText(/sorted: (the [\d,]+ loaded keys|every matching key)/);
  if (!(await scope.textContent())?.includes("every matching key")) {
    await scope.getByRole("button", { name: "Load all to sort them all" }).click();
  }
  await expect(scope).toContainText("sorted: every matching key");
  await expect(page.getByTestId("counts")).toContainText("402 matched");
  // Largest first: the hash, then the string; the column shows MEMORY USAGE's bytes.
  await expect(page.locator(".line.key").first()).toHaveAttribute("data-key", `${p}hash`);
  await expect(page.locator(".line.key").nth(1)).toHaveAttribute("data-key", `${p}str`);
  await expect(row(page, `${p}hash`).locator(".c-mem")).toHaveAttribute("data-bytes", String(await usage(`${p}hash`)));
  await expect(row(page, `${p}str`).locator(".c-mem")).toHaveAttribute("data-bytes", String(await usage(`${p}str`)));
  await expect(row(page, `${p}hash`).locator(".c-mem")).toHaveText(/KiB|MiB/);
  // A change re-reads the memory.
  await api.run("APPEND", `${p}str`, "y".repeat(5000));
  const after = await usage(`${p}str`);
  await expect(row(page, `${p}str`).locator(".c-mem")).toHaveAttribute("data-bytes", String(after));
});
