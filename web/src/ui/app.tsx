import { Code, ConnectError } from "@connectrpc/connect";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { createCaller, patternCovered } from "../../../shared/auth/caller.js";
import { Role, type WhoAmIResponse } from "../../../shared/gen/memorabilia/v1/auth_service_pb.js";
import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import type { Clients } from "../api/clients.js";
import type { HealthMonitor, ServerHealth } from "../api/server-health.js";
import { saveToken } from "../api/token.js";
import { formatCount, KEY_TYPES, typeName } from "../model/format.js";
import { escapeGlob, hasGlob, KeyBrowser, patternOf } from "../model/key-browser.js";
import type { KeyRow } from "../model/key-row.js";
import { type LiveState, startLiveWatch } from "../model/live-watch.js";
import type { CommandRunner } from "../model/reply-handle.js";
import { type FolderScan, flatLines, type SortBy, sortRows, treeLines } from "../model/tree.js";
import { BulkDeleteDialog, type KeysAction } from "./bulk-delete-dialog.js";
import { CommandBar } from "./command-bar.js";
import { type ConsoleContext, Ctx, errorText } from "./context.js";
import { CreateKeyDialog } from "./create-key-dialog.js";
import { EventsPanel } from "./events-panel.js";
import { KeyDetail } from "./key-detail.js";
import { KeyList } from "./key-list.js";
import { LoginDialog } from "./login-dialog.js";
import { MonitorPanel } from "./monitor-panel.js";
import { PubSubPanel } from "./pubsub-panel.js";
import { ServerPanel } from "./server-panel.js";
import { SlowLogPanel } from "./slowlog-panel.js";
import { startTtlTicker } from "./ttl-ticker.js";

/** The most keys "Load all to sort" loads (rows are held in the page). */
const SORT_ALL_LIMIT = 100_000;
/**
 * The key list's live stream sends each changed key's last event once per this interval
 * (WatchRequest `coalesce_ms`): new keys show within it, and an open console costs a hot writer
 * a constant, not a share of every write.
 */
const LIVE_COALESCE_MS = 200;
/**
 * A changed row in view has its size and memory re-read at most once per this interval: a view of
 * keys a hot writer keeps changing then costs the server ~30 key reads a second, not one per write.
 */
const REREAD_MS = 1000;
/**
 * The same for a row whose type and TTL came with its last event (a coalesced event carries both):
 * only its size and memory can be stale. A hot writer keeps every row in view changed, so this
 * interval sets an open console's cost to it: 2 commands per row in view every 3 s, not every second.
 */
const KNOWN_REREAD_MS = 3000;
/** The tree's delimiter choices. */
const DELIMITERS = [":", "/", ".", "-", "_", "|", "#"];

type Who =
  | { readonly kind: "checking" }
  | { readonly kind: "login"; readonly error: string | null }
  | {
      readonly kind: "ok";
      readonly role: Role;
      readonly name: string;
      readonly authRequired: boolean;
      /** The key patterns the token is limited to (empty: every key). */
      readonly patterns: readonly string[];
    };

interface Toast {
  readonly id: number;
  readonly text: string;
  readonly kind: "info" | "error";
}

const ROLE_NAMES: Record<number, string> = {
  [Role.ADMIN]: "admin",
  [Role.READWRITE]: "read-write",
  [Role.READONLY]: "read-only",
};

function liveLabel(s: LiveState): string {
  switch (s.kind) {
    case "live":
      return "Live";
    case "connecting":
      return "Connecting…";
    case "reconnecting":
      return `Reconnecting in ${Math.ceil(s.inMs / 1000)} s (attempt ${s.attempt})`;
    case "unsupported":
      return "Not live";
    case "denied":
      return "Not live (outside your token's keys)";
  }
}

/** The signed-in state from WhoAmI. */
const whoOf = (res: WhoAmIResponse): Who => ({
  kind: "ok",
  role: res.role,
  name: res.name,
  authRequired: res.authRequired,
  patterns: res.keyPatterns,
});

/** The console: header, key browser, detail or server panel, command bar, dialogs. */
export function App(props: {
  clients: Clients;
  mode: "server" | "embedded";
  restored?: number;
  /** The server's health as the console's calls see it (server mode). */
  health?: HealthMonitor;
  /** Runs the command bar's commands (server mode: in a worker); by default, in the page. */
  commands?: CommandRunner;
}) {
  const { clients } = props;
  const [health, setHealth] = useState<ServerHealth>(props.health?.state ?? { kind: "ok" });
  useEffect(() => props.health?.subscribe(setHealth), [props.health]);
  const browser = useMemo(() => new KeyBrowser(clients), [clients]);
  const [who, setWho] = useState<Who>({ kind: "checking" });
  const [, setTick] = useState(0);
  const [live, setLive] = useState<LiveState>({ kind: "connecting" });
  const [filterText, setFilterText] = useState("");
  const [typeFilter, setTypeFilter] = useState<KeyType>(KeyType.UNSPECIFIED);
  const [view, setView] = useState<"list" | "tree">("list");
  /** What separates a key's levels in the tree (`:` by default; kept in localStorage). */
  const [delimiter, setDelimiter] = useState(() => localStorage.getItem("memorabilia.delimiter") || ":");
  const [sort, setSort] = useState<SortBy>("scan");
  const [openFolders, setOpenFolders] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const [detailVersion, setDetailVersion] = useState(0);
  /** Bumped by Delete in the key list: the key's page opens with the delete confirmation. */
  const [askDelete, setAskDelete] = useState<{ key: string; n: number } | null>(null);
  const deletes = useRef(0);
  const [panel, setPanel] = useState<"key" | "server" | "pubsub" | "events" | "slowlog" | "monitor">("key");
  const [dialog, setDialog] = useState<"create" | "bulk" | null>(null);
  /** The pattern and action of the bulk dialog (a folder's prefix, or the filter). */
  const [bulk, setBulk] = useState<{ pattern: string; action: KeysAction; auto: boolean }>({
    pattern: "",
    action: "delete",
    auto: false,
  });
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [theme, setTheme] = useState<"light" | "dark">(
    () =>
      (localStorage.getItem("memorabilia.theme") as "light" | "dark" | null) ??
      (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"),
  );
  const visibleKeys = useRef<string[]>([]);
  const sortRef = useRef<SortBy>("scan");
  const [loadingAll, setLoadingAll] = useState(false);
  const allRun = useRef(0);
  sortRef.current = sort;
  const autoLoad = useRef(true);
  const selectedRef = useRef<string | null>(null);
  selectedRef.current = selected;
  const filterInput = useRef<HTMLInputElement>(null);
  const commandInput = useRef<HTMLInputElement>(null);
  const toastId = useRef(0);

  const notify = useCallback((text: string, kind: "info" | "error" = "info") => {
    const id = toastId.current++;
    setToasts((t) => [...t.slice(-3), { id, text, kind }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === "error" ? 8000 : 3000);
  }, []);

  // Who am I: the role decides what is shown; UNAUTHENTICATED asks for a token.
  const checkWho = useCallback(async () => {
    try {
      const res = await clients.auth.whoAmI({});
      setWho(whoOf(res));
    } catch (error) {
      const e = ConnectError.from(error);
      if (e.code === Code.Unauthenticated) setWho({ kind: "login", error: null });
      else if (e.code === Code.Unimplemented)
        setWho({ kind: "ok", role: Role.ADMIN, name: "default", authRequired: false, patterns: [] });
      else {
        setWho({ kind: "ok", role: Role.ADMIN, name: "default", authRequired: false, patterns: [] });
        notify(`Cannot reach the server: ${e.rawMessage}`, "error");
      }
    }
  }, [clients]);
  useEffect(() => void checkWho(), [checkWho]);
  const authed = who.kind === "ok";
  // Until signed in, nothing may be written (no write control behind the sign-in dialog).
  const readOnly = who.kind !== "ok" || who.role === Role.READONLY;
  /** The slow log and the monitor need an admin token (they show every client's commands). */
  const admin = who.kind === "ok" && who.role === Role.ADMIN;

  // One render per frame at most, whatever the rate of changes.
  const frame = useRef(0);
  const schedule = useCallback(() => {
    if (!frame.current)
      frame.current = requestAnimationFrame(() => {
        frame.current = 0;
        setTick((n) => n + 1);
      });
  }, []);
  useEffect(() => browser.subscribe(schedule), [browser]);

  // The filter, debounced: a new filter rescans from the start. Plain text means "contains" (and
  // the exact name is looked up at once); glob characters make it a Redis glob.
  // A token limited to key patterns scans and watches within one of them (PERMISSION_DENIED
  // otherwise): a filter it covers is used as is, any other is checked in the page.
  const patterns = who.kind === "ok" ? who.patterns : [];
  const [scopeChoice, setScopeChoice] = useState(0);
  const scope = patterns.length === 0 ? null : (patterns[scopeChoice] ?? patterns[0] ?? null);
  const filter = useMemo(() => {
    const text = filterText.trim();
    const wanted = patternOf(text);
    if (scope === null) return { text, pattern: wanted, also: undefined, type: typeFilter };
    const covered = wanted !== "" && patternCovered(createCaller("console", "readonly", [scope]), wanted);
    return covered
      ? { text, pattern: wanted, also: undefined, type: typeFilter }
      : { text, pattern: scope, also: wanted || undefined, type: typeFilter };
  }, [filterText, typeFilter, scope]);
  const [exact, setExact] = useState<string | null>(null);

  // The tree's open folders are scanned on their own, by prefix (never the whole keyspace).
  const folders = useRef(new Map<string, { browser: KeyBrowser; stop: () => void }>());
  const dropFolders = () => {
    for (const f of folders.current.values()) f.stop();
    folders.current.clear();
  };
  const folderBrowser = (prefix: string): KeyBrowser => {
    let f = folders.current.get(prefix);
    if (!f) {
      const b = new KeyBrowser(clients);
      f = { browser: b, stop: b.subscribe(schedule) };
      folders.current.set(prefix, f);
      // Within the user's filter, and within the token's scope when the prefix is not in it.
      const own = `${escapeGlob(prefix)}*`;
      const inScope = scope === null || patternCovered(createCaller("console", "readonly", [scope]), own);
      const also = [filter.pattern, filter.also, inScope ? undefined : own].filter((x): x is string => !!x);
      b.reset({
        pattern: inScope ? own : (scope as string),
        type: filter.type,
        also,
      }).catch((e) => notify(errorText(e), "error"));
    }
    return f.browser;
  };
  /** Every browser: the main one and those of the open folders. */
  const allBrowsers = () => [browser, ...[...folders.current.values()].map((f) => f.browser)];
  useEffect(() => {
    if (view !== "tree") return;
    for (const prefix of openFolders) folderBrowser(prefix);
    for (const [prefix, f] of folders.current) {
      if (!openFolders.has(prefix)) {
        f.stop();
        folders.current.delete(prefix);
      }
    }
  });
  const started = useRef(false);
  useEffect(() => {
    if (!authed) return;
    const run = () => {
      autoLoad.current = true;
      dropFolders();
      setExact(null);
      browser
        .reset({ pattern: filter.pattern, type: filter.type, ...(filter.also ? { also: [filter.also] } : {}) })
        .catch((e) => notify(errorText(e), "error"));
      // An exact name is looked up directly: found at once, however big the keyspace.
      const name = filter.text;
      if (name && !hasGlob(name)) {
        clients.keys
          .type({ key: name })
          .then((t) => {
            if (t.type === KeyType.NONE || browser.filter.pattern !== filter.pattern) return;
            if (filter.type !== KeyType.UNSPECIFIED && t.type !== filter.type) return;
            setExact(name);
            browser.touch(name);
          })
          .catch(() => {});
      }
    };
    if (!started.current) {
      // The first page at once: no debounce, and no earlier load to throw away.
      started.current = true;
      run();
      return;
    }
    const t = setTimeout(run, 200);
    return () => clearTimeout(t);
  }, [authed, filter.pattern, filter.also, filter.type]);

  // The live stream, per pattern; after a break it rescans (the server may have restarted).
  useEffect(() => {
    if (!authed) return;
    // Coalesced: each changed key once per interval, so the list costs the server per key changed,
    // not per write (the Events view opens its own stream of every event while it is shown).
    return startLiveWatch(clients, {
      pattern: filter.pattern,
      coalesceMs: LIVE_COALESCE_MS,
      onState: setLive,
      onEvents: (events) => {
        browser.applyEvents(events);
        for (const [prefix, f] of folders.current)
          f.browser.applyEvents(events.filter((e) => e.key.startsWith(prefix)));
        if (selectedRef.current !== null && events.some((e) => e.key === selectedRef.current)) {
          setDetailVersion((v) => v + 1);
        }
      },
      onResync: () => {
        autoLoad.current = true;
        dropFolders();
        browser.reset().catch(() => {});
        setDetailVersion((v) => v + 1);
      },
      onUnauthenticated: () => setWho({ kind: "login", error: "Your token was refused" }),
    });
  }, [authed, clients, filter.pattern]);
  useEffect(() => setScopeChoice(0), [patterns.join("\n")]);

  // One timer for every countdown; keys whose deadline passed leave the list.
  useEffect(
    () =>
      startTtlTicker(document, (now) => {
        let removed = false;
        for (const b of allBrowsers()) removed = b.expireDue(now) || removed;
        return removed;
      }),
    [browser],
  );

  // Changed keys get their size and type re-read, the visible ones first.
  useEffect(() => {
    const t = setInterval(() => {
      // The rows in view (every loaded row while sorted by memory), each at most once per REREAD_MS.
      const byMemory = sortRef.current === "memory";
      void browser
        .refreshDirty(byMemory ? browser.rows().map((r) => r.key) : visibleKeys.current, {
          every: REREAD_MS,
          everyKnown: KNOWN_REREAD_MS,
        })
        .catch(() => {});
      // MEMORY USAGE of the keys in view; of every loaded key while the list is sorted by memory.
      for (const b of allBrowsers())
        void b.readMemory(byMemory ? b.rows().map((r) => r.key) : visibleKeys.current).catch(() => {});
    }, 300);
    // The keyspace size ("of N") changes without loads: re-read it now and then (DBSIZE is O(1)).
    const total = setInterval(() => void browser.refreshTotal().catch(() => {}), 3000);
    return () => {
      clearInterval(t);
      clearInterval(total);
    };
  }, [browser]);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("memorabilia.theme", theme);
  }, [theme]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if (e.key === "/" && !inField) {
        e.preventDefault();
        filterInput.current?.focus();
      } else if (e.key === "k" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        commandInput.current?.focus();
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);

  const ctx: ConsoleContext = useMemo(() => ({ clients, readOnly, notify }), [clients, readOnly, notify]);

  let all: readonly KeyRow[] = browser.rows();
  if (view === "tree" && folders.current.size > 0) {
    const seen = new Set(all.map((r) => r.key));
    const merged = all.slice();
    for (const f of folders.current.values()) {
      for (const r of f.browser.rows()) {
        if (!seen.has(r.key)) {
          seen.add(r.key);
          merged.push(r);
        }
      }
    }
    all = merged;
  }
  const rows = sortRows(all, sort);
  const scanOf = (prefix: string): FolderScan | undefined => folders.current.get(prefix)?.browser;
  const lines = view === "tree" ? treeLines(rows, delimiter, openFolders, scanOf, browser.done) : flatLines(rows);
  const open = (key: string) => {
    setAskDelete(null);
    setSelected(key);
    setPanel("key");
  };
  /** Loads every matching key (up to SORT_ALL_LIMIT), so a sort covers them all; Stop ends it. */
  const loadAll = async () => {
    const run = ++allRun.current;
    setLoadingAll(true);
    try {
      while (run === allRun.current && !browser.done && browser.size < SORT_ALL_LIMIT) {
        if (browser.loading) await new Promise((r) => setTimeout(r, 100));
        else await browser.loadMore();
      }
    } catch (e) {
      notify(errorText(e), "error");
    } finally {
      setLoadingAll(false);
    }
  };
  const pendingMemory = sort === "memory" ? rows.reduce((n, r) => n + (r.memory === -1 ? 1 : 0), 0) : 0;
  const loadMore = () => {
    browser
      .loadMore()
      .then((added) => {
        if (added === 0) autoLoad.current = false;
      })
      .catch((e) => notify(errorText(e), "error"));
  };

  return (
    <Ctx.Provider value={ctx}>
      <div class="app">
        <header class="top">
          <h1>
            Memorabilia <span class="muted">console</span>
          </h1>
          {health.kind === "ok" ? (
            <span class={`badge live-${live.kind}`} role="status" aria-label="Connection" data-state={live.kind}>
              <span aria-hidden="true" class="dot" /> {liveLabel(live)}
            </span>
          ) : (
            <span
              class="badge live-reconnecting"
              role="status"
              aria-label="Connection"
              data-state={health.kind}
              title={health.detail}
            >
              <span aria-hidden="true" class="dot" />{" "}
              {health.kind === "shutting-down" ? "Server shutting down" : "Server unreachable"}
            </span>
          )}
          {props.mode === "embedded" && (
            <span class="badge" title="The store runs inside this page; keys are kept in IndexedDB">
              Embedded
            </span>
          )}
          {who.kind === "ok" && (who.authRequired || readOnly) && (
            <span class={`badge role${readOnly ? " readonly" : ""}`} data-role={ROLE_NAMES[who.role]}>
              {who.name} · {ROLE_NAMES[who.role] ?? "?"}
            </span>
          )}
          <span class="spacer" />
          <button
            type="button"
            aria-pressed={panel === "events"}
            onClick={() => setPanel(panel === "events" ? "key" : "events")}
          >
            Events
          </button>
          <button
            type="button"
            aria-pressed={panel === "pubsub"}
            onClick={() => setPanel(panel === "pubsub" ? "key" : "pubsub")}
          >
            Pub/Sub
          </button>
          {admin && (
            <>
              <button
                type="button"
                aria-pressed={panel === "slowlog"}
                onClick={() => setPanel(panel === "slowlog" ? "key" : "slowlog")}
              >
                Slow log
              </button>
              <button
                type="button"
                aria-pressed={panel === "monitor"}
                onClick={() => setPanel(panel === "monitor" ? "key" : "monitor")}
              >
                Monitor
              </button>
            </>
          )}
          <button
            type="button"
            aria-pressed={panel === "server"}
            onClick={() => setPanel(panel === "server" ? "key" : "server")}
          >
            Server
          </button>
          <button
            type="button"
            aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
            onClick={() => setTheme(theme === "dark" ? "light" : "dark")}
          >
            {theme === "dark" ? "☀ Light" : "☾ Dark"}
          </button>
          {who.kind === "ok" && who.authRequired && (
            <button
              type="button"
              onClick={() => {
                saveToken(null);
                setWho({ kind: "login", error: null });
              }}
            >
              Sign out
            </button>
          )}
        </header>
        <div class="toolbar" role="search">
          <input
            ref={filterInput}
            type="search"
            aria-label="Find keys"
            placeholder="Find: name, text or glob user:* (press /)"
            title="Plain text finds keys containing it (and the exact name at once); * ? [ ] make a Redis glob"
            value={filterText}
            onInput={(e) => setFilterText((e.currentTarget as HTMLInputElement).value)}
          />
          {scope !== null && (
            <span class="scope" data-testid="scope" title="This token may only touch these keys">
              {patterns.length === 1 ? (
                <>
                  keys: <code>{scope}</code>
                </>
              ) : (
                <select
                  aria-label="Key patterns of your token"
                  value={String(scopeChoice)}
                  onChange={(e) => setScopeChoice(Number((e.currentTarget as HTMLSelectElement).value))}
                >
                  {patterns.map((p, i) => (
                    <option key={p} value={String(i)}>
                      keys: {p}
                    </option>
                  ))}
                </select>
              )}
            </span>
          )}
          <select
            aria-label="Filter by type"
            value={String(typeFilter)}
            onChange={(e) => setTypeFilter(Number((e.currentTarget as HTMLSelectElement).value) as KeyType)}
          >
            <option value={String(KeyType.UNSPECIFIED)}>All types</option>
            {KEY_TYPES.map((t) => (
              <option key={t} value={String(t)}>
                {typeName(t)}
              </option>
            ))}
          </select>
          <div class="seg" role="radiogroup" aria-label="View">
            <button type="button" role="radio" aria-checked={view === "list"} onClick={() => setView("list")}>
              List
            </button>
            <button type="button" role="radio" aria-checked={view === "tree"} onClick={() => setView("tree")}>
              Tree
            </button>
          </div>
          {view === "tree" && (
            <select
              aria-label="Tree delimiter"
              title="What separates a key's levels in the tree"
              value={delimiter}
              onChange={(e) => {
                const d = (e.currentTarget as HTMLSelectElement).value;
                localStorage.setItem("memorabilia.delimiter", d);
                setOpenFolders(new Set());
                dropFolders();
                setDelimiter(d);
              }}
            >
              {DELIMITERS.map((d) => (
                <option key={d} value={d}>
                  split at {d}
                </option>
              ))}
            </select>
          )}
          <select
            aria-label="Sort loaded keys"
            value={sort}
            onChange={(e) => setSort((e.currentTarget as HTMLSelectElement).value as SortBy)}
          >
            <option value="scan">Scan order</option>
            <option value="ttl">TTL (soonest first)</option>
            <option value="memory">Memory (largest first)</option>
          </select>
          {!readOnly && (
            <>
              <button type="button" class="primary" onClick={() => setDialog("create")}>
                + New key
              </button>
              <button
                type="button"
                class="danger-outline"
                onClick={() => {
                  setBulk({ pattern: filter.pattern, action: "delete", auto: false });
                  setDialog("bulk");
                }}
              >
                Bulk delete…
              </button>
            </>
          )}
        </div>
        <main class="panes">
          <section class="left" aria-label="Key browser">
            <KeyList
              lines={lines}
              selected={selected}
              onSelect={setSelected}
              onOpen={open}
              onToggleFolder={(prefix, want) =>
                setOpenFolders((s) => {
                  const next = new Set(s);
                  if (want ?? !next.has(prefix)) next.add(prefix);
                  else next.delete(prefix);
                  return next;
                })
              }
              onFolderMore={(prefix) => {
                folders.current
                  .get(prefix)
                  ?.browser.loadMore()
                  .catch((e) => notify(errorText(e), "error"));
              }}
              onNearEnd={() => {
                if (started.current && autoLoad.current && !browser.loading && !browser.done) loadMore();
              }}
              onVisible={(keys) => {
                visibleKeys.current = keys;
              }}
              {...(readOnly
                ? {}
                : {
                    onDelete: (key: string) => {
                      open(key);
                      deletes.current++;
                      setAskDelete({ key, n: deletes.current });
                    },
                    onFolderAction: (prefix: string, action: KeysAction) => {
                      setBulk({ pattern: `${escapeGlob(prefix)}*`, action, auto: true });
                      setDialog("bulk");
                    },
                  })}
            />
            {lines.length === 0 && (
              <div class="list-empty muted" role="status" data-testid="list-empty">
                {browser.loading
                  ? `Scanning${filter.text ? ` for “${filter.text}”` : ""}… ~${formatCount(browser.scanned)} of ${formatCount(browser.total)} keys examined`
                  : browser.done
                    ? filter.text || filter.type !== KeyType.UNSPECIFIED
                      ? `No key matches${filter.text ? ` “${filter.text}”` : ""}${filter.type !== KeyType.UNSPECIFIED ? ` of type ${typeName(filter.type)}` : ""}.`
                      : "No keys: the keyspace is empty."
                    : `No match in the first ~${formatCount(browser.scanned)} keys.`}
                {!browser.loading && !browser.done && (
                  <>
                    {" "}
                    <button type="button" class="link" onClick={loadMore}>
                      Scan on
                    </button>
                  </>
                )}
              </div>
            )}
            <footer class="counts" aria-live="polite">
              <span data-testid="counts">
                {formatCount(browser.size)} matched · scanned {browser.done ? "" : "~"}
                {formatCount(browser.scanned)} of {formatCount(browser.total)}
              </span>
              {exact !== null && (
                <span class="muted" data-testid="exact">
                  {" "}
                  · exact name found
                </span>
              )}
              {browser.loading ? (
                <>
                  <span class="muted"> scanning…</span>{" "}
                  <button
                    type="button"
                    class="link"
                    onClick={() => {
                      allRun.current++;
                      browser.stop();
                    }}
                  >
                    Stop
                  </button>
                </>
              ) : (
                !browser.done && (
                  <button type="button" class="link" onClick={loadMore}>
                    Scan more
                  </button>
                )
              )}
              {browser.error && <span class="error"> {browser.error}</span>}
              {sort !== "scan" && (
                <span class="sort-scope" data-testid="sort-scope">
                  {" "}
                  · sorted: {browser.done ? "every matching key" : `the ${formatCount(browser.size)} loaded keys`}
                  {sort === "memory" && pendingMemory > 0 && ` (memory of ${formatCount(pendingMemory)} being read)`}
                  {!browser.done && !loadingAll && (
                    <>
                      {" "}
                      <button type="button" class="link" onClick={() => void loadAll()}>
                        {browser.total <= SORT_ALL_LIMIT
                          ? "Load all to sort them all"
                          : `Load up to ${formatCount(SORT_ALL_LIMIT)} to sort`}
                      </button>
                    </>
                  )}
                </span>
              )}
            </footer>
          </section>
          <section class="right">
            {panel === "server" ? (
              <ServerPanel theme={theme} />
            ) : panel === "pubsub" ? (
              <PubSubPanel />
            ) : panel === "events" ? (
              <EventsPanel pattern={filter.pattern} />
            ) : panel === "slowlog" && admin ? (
              <SlowLogPanel />
            ) : panel === "monitor" && admin ? (
              <MonitorPanel />
            ) : selected !== null ? (
              <KeyDetail
                key={selected}
                keyName={selected}
                version={detailVersion}
                askDelete={askDelete}
                onRenamed={(to) => {
                  for (const b of allBrowsers()) b.forget(selected);
                  browser.touch(to);
                  setSelected(to);
                }}
                onChanged={() => browser.touch(selected)}
                onDeleted={() => {
                  for (const b of allBrowsers()) b.forget(selected);
                  setSelected(null);
                }}
              />
            ) : (
              <div class="empty muted">
                <p>Select a key to see and edit its value.</p>
                <p>
                  Keys: <kbd>↑</kbd> <kbd>↓</kbd> move, <kbd>Enter</kbd> opens, <kbd>/</kbd> filters, <kbd>Ctrl</kbd>+
                  <kbd>K</kbd> runs a command.
                </p>
                {props.restored ? <p>{props.restored} keys restored from this browser's storage.</p> : null}
              </div>
            )}
          </section>
        </main>
        {authed && <CommandBar inputRef={commandInput} {...(props.commands ? { runner: props.commands } : {})} />}
        <div class="toasts">
          {toasts.map((t) => (
            <div key={t.id} class={`toast ${t.kind}`} role={t.kind === "error" ? "alert" : "status"}>
              {t.text}
            </div>
          ))}
        </div>
        {dialog === "create" && (
          <CreateKeyDialog
            onClose={() => setDialog(null)}
            onCreated={(key) => {
              setDialog(null);
              browser.touch(key);
              open(key);
            }}
          />
        )}
        {dialog === "bulk" && (
          <BulkDeleteDialog
            initialPattern={bulk.pattern}
            action={bulk.action}
            autoPreview={bulk.auto}
            onClose={() => setDialog(null)}
            onDone={() => {
              setDialog(null);
              dropFolders();
              browser.reset().catch(() => {});
            }}
          />
        )}
        {who.kind === "login" && (
          <LoginDialog
            error={who.error}
            onToken={async (token) => {
              saveToken(token);
              try {
                const res = await clients.auth.whoAmI({});
                setWho(whoOf(res));
              } catch (error) {
                saveToken(null);
                setWho({ kind: "login", error: errorText(error) });
              }
            }}
          />
        )}
      </div>
    </Ctx.Provider>
  );
}
