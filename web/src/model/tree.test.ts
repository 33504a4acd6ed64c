import { describe, expect, it } from "vitest";
import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import type { KeyRow } from "./key-row.js";
import { flatLines, type ListLine, type SortBy, sortRows, treeLines } from "./tree.js";

const r = (key: string, size = 0, deadline: number | null = null): KeyRow => ({
  key,
  type: KeyType.STRING,
  deadline,
  size,
  memory: size,
  liveAt: 0,
  dirty: false,
  readAt: 0,
});
/** A line as `depth|folder-label(count)[+]` or `depth|key-label`, for compact expectations. */
const show = (l: ListLine) =>
  l.kind === "folder"
    ? `${l.depth}|${l.label}(${l.count})${l.open ? "+" : ""}`
    : l.kind === "more"
      ? `${l.depth}|more ${l.prefix}`
      : `${l.depth}|${l.label}`;

const rows = ["user:1:name", "user:2:name", "user:tags", "queue:jobs", "plain", "a::b"].map((k) => r(k));

describe("treeLines", () => {
  it.each<[string, string, string[], string[]]>([
    ["all closed", ":", [], ["0|a:(1)", "0|queue:(1)", "0|user:(3)", "0|plain"]],
    ["one open", ":", ["user:"], ["0|a:(1)", "0|queue:(1)", "0|user:(3)+", "1|1:(1)", "1|2:(1)", "1|tags", "0|plain"]],
    [
      "nested open",
      ":",
      ["user:", "user:1:"],
      ["0|a:(1)", "0|queue:(1)", "0|user:(3)+", "1|1:(1)+", "2|name", "1|2:(1)", "1|tags", "0|plain"],
    ],
    [
      "an empty segment is a folder too",
      ":",
      ["a:", "a::"],
      ["0|a:(1)+", "1|:(1)+", "2|b", "0|queue:(1)", "0|user:(3)", "0|plain"],
    ],
    ["an open folder that is not there", ":", ["nope:"], ["0|a:(1)", "0|queue:(1)", "0|user:(3)", "0|plain"]],
    [
      "another delimiter",
      "/",
      [],
      ["0|user:1:name", "0|user:2:name", "0|user:tags", "0|queue:jobs", "0|plain", "0|a::b"],
    ],
    [
      "a longer delimiter",
      "::",
      ["a::"],
      ["0|a::(1)+", "1|b", "0|user:1:name", "0|user:2:name", "0|user:tags", "0|queue:jobs", "0|plain"],
    ],
    ["no delimiter", "", [], rows.map((x) => `0|${x.key}`)],
  ])("%s", (_, delimiter, open, expected) => {
    expect(treeLines(rows, delimiter, new Set(open)).map(show)).toEqual(expected);
  });

  it("folders carry their prefix as id, keys their row", () => {
    const lines = treeLines(rows, ":", new Set(["user:", "user:1:"]));
    expect(lines.filter((l) => l.kind === "folder").map((l) => (l.kind === "folder" ? l.prefix : ""))).toEqual([
      "a:",
      "queue:",
      "user:",
      "user:1:",
      "user:2:",
    ]);
    const name = lines.find((l) => l.kind === "key" && l.depth === 2);
    expect(name?.kind === "key" && name.row.key).toBe("user:1:name");
  });

  it("keys keep row order inside a folder", () => {
    const lines = treeLines([r("x:b"), r("x:a"), r("x:c")], ":", new Set(["x:"]));
    expect(lines.map(show)).toEqual(["0|x:(3)+", "1|b", "1|a", "1|c"]);
  });
});

describe("flatLines", () => {
  it("is one key line per row, at depth 0, labelled with the whole key", () => {
    expect(flatLines(rows).map(show)).toEqual(rows.map((x) => `0|${x.key}`));
  });
});

describe("sortRows", () => {
  const sample = [r("a", 5, null), r("b", 50, 3000), r("c", 1, 1000), r("d", 20, null), r("e", -1)];
  it.each<[SortBy, string[]]>([
    ["scan", ["a", "b", "c", "d", "e"]],
    ["ttl", ["c", "b", "a", "d", "e"]], // soonest first, no expiry last (stable)
    ["memory", ["b", "d", "a", "c", "e"]], // largest first, not read yet last
  ])("by %s", (by, expected) => {
    expect(sortRows(sample, by).map((x) => x.key)).toEqual(expected);
    expect(sample.map((x) => x.key)).toEqual(["a", "b", "c", "d", "e"]); // never in place
  });
});

describe("treeLines: lazy folders", () => {
  it("sorts folder names with numbers in numeric order", () => {
    const lines = treeLines(
      ["n:10:a", "n:2:a", "n:1:a"].map((k) => r(k)),
      ":",
      new Set(["n:"]),
    );
    expect(lines.map(show)).toEqual(["0|n:(3)+", "1|1:(1)", "1|2:(1)", "1|10:(1)"]);
  });
  it("says when a folder may hold more keys, and ends an open folder whose scan goes on with a 'more' line", () => {
    const scan = { done: false, loading: false, scanned: 10, total: 100 };
    const lines = treeLines(
      ["a:1", "a:2", "b:1"].map((k) => r(k)),
      ":",
      new Set(["a:"]),
      (p) => (p === "a:" ? scan : undefined),
      false,
    );
    expect(lines.map(show)).toEqual(["0|a:(2)+", "1|1", "1|2", "1|more a:", "0|b:(1)"]);
    expect(lines.filter((l) => l.kind === "folder").map((l) => l.kind === "folder" && l.more)).toEqual([true, true]);
    const done = treeLines(
      ["a:1"].map((k) => r(k)),
      ":",
      new Set(["a:"]),
      () => ({ ...scan, done: true }),
      false,
    );
    expect(done.map(show)).toEqual(["0|a:(1)+", "1|1"]);
    expect(done[0]?.kind === "folder" && done[0].more).toBe(false);
  });
});
