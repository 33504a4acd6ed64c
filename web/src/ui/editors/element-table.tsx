import { useEffect, useState } from "preact/hooks";
import { utf8 } from "../../model/bytes.js";
import {
  type BytesDraft,
  bytesOf,
  draftOf,
  ELEMENT_VIEWS,
  type FieldKind,
  type ViewMode,
} from "../../model/bytes-draft.js";
import type { Change } from "../../model/change.js";
import { patternOf } from "../../model/key-browser.js";
import { BytesField } from "../bytes-field.js";
import { useChangeRunner } from "../change-runner.js";
import { errorText, useConsole } from "../context.js";

/** A column of the table, or a field of the add form. */
export interface Column {
  readonly name: string;
  /** A number (a score): edited as plain text. Other columns are bytes, edited as text or hex. */
  readonly number?: boolean;
}

/** One element of a container as the table shows it: display cells, and the bytes to edit. */
export interface Element {
  readonly id: string;
  /** Cell texts, one per column. */
  readonly cells: readonly string[];
  /** The exact bytes of each column (a number's text for a score), what the edit form starts from. */
  readonly values: readonly Uint8Array[];
  /** Anything the type's code needs to act on it (index, raw member bytes, …). */
  readonly ref: unknown;
  /** A sorted-set member's score, as read. */
  readonly score?: number;
}

/** A page of elements and the token of the next page (null at the end). */
export interface ElementPage {
  readonly items: readonly Element[];
  readonly next: string | null;
}

/** What the table shows of a key: matching elements only, highest first. */
export interface ElementQuery {
  readonly match?: Uint8Array;
  readonly reverse?: boolean;
}

/** How a container type reads and changes its elements. */
export interface ElementSource {
  /** The columns; the first is the element's identity (index, field, member). */
  readonly columns: readonly Column[];
  /** Which columns the edit form changes (by index). */
  readonly editable: readonly number[];
  /** The fields the add form asks for. */
  readonly addFields: readonly Column[];
  /** Extra add choices (e.g. "head" / "tail" for lists): the first is the default. */
  readonly addModes?: readonly string[];
  /**
   * A page from `token` ("0": the first). With `query.match` (a glob over fields or members:
   * HSCAN/SSCAN/ZSCAN MATCH) only matching elements, scanning on until a page is full or the key
   * is done; with `query.reverse`, a sorted set highest score first.
   */
  load(token: string, query?: ElementQuery): Promise<ElementPage>;
  /** The key can be searched (HSCAN/SSCAN/ZSCAN MATCH). */
  readonly searchable?: boolean;
  /** The key can be shown highest first (a sorted set). */
  readonly reversible?: boolean;
  /**
   * The precise change that turns `item` (as read) into `values` (the bytes of every column),
   * guarded by what was read; null when nothing changed. Throws on input that does not parse.
   */
  edit(item: Element, values: readonly Uint8Array[]): Change | null;
  /** The change that removes `item` (as read). */
  remove(item: Element): Change;
  /** The change that adds an element with these values. */
  add(values: readonly Uint8Array[], mode: string): Change;
}

/** A value with a line break is edited in a text area (a one-line input would drop it). */
const fieldOf = (value: Uint8Array | undefined): FieldKind => (value?.includes(0x0a) ? "area" : "line");
const viewsOf = (column: Column | undefined): readonly ViewMode[] => (column?.number ? ["text"] : ELEMENT_VIEWS);
const emptyDrafts = (fields: readonly Column[]): BytesDraft[] => fields.map(() => ({ mode: "text", text: "" }));

/**
 * A paged table of a container's elements with add, edit and remove (hidden when read-only).
 * `version` changes reload the current page (after an edit, or a live change of the key).
 */
export function ElementTable(props: { source: ElementSource; label: string; version: number }) {
  const { readOnly, notify } = useConsole();
  const { source } = props;
  const [tokens, setTokens] = useState<string[]>(["0"]);
  const [page, setPage] = useState<ElementPage | null>(null);
  /** The element being edited, as it was read when the edit began (what the save is guarded by). */
  const [editing, setEditing] = useState<Element | null>(null);
  const [draft, setDraft] = useState<BytesDraft[]>([]);
  const [adding, setAdding] = useState<BytesDraft[]>(emptyDrafts(source.addFields));
  const [mode, setMode] = useState(source.addModes?.[0] ?? "");
  const [reload, setReload] = useState(0);
  const [search, setSearch] = useState("");
  const [reverse, setReverse] = useState(false);
  /** The search as applied (debounced): plain text finds elements containing it, glob characters a glob. */
  const [query, setQuery] = useState<ElementQuery>({});
  useEffect(() => {
    const t = setTimeout(() => {
      const pattern = patternOf(search.trim());
      setQuery({ ...(pattern ? { match: utf8(pattern) } : {}), reverse });
      setTokens(["0"]);
    }, 200);
    return () => clearTimeout(t);
  }, [search, reverse]);
  const [searching, setSearching] = useState(false);
  const token = tokens[tokens.length - 1] as string;
  const changes = useChangeRunner(() => {
    setEditing(null);
    setReload((n) => n + 1);
  });
  /** Builds a change (which may throw on input that does not parse) and runs it. */
  const act = async (build: () => Change | null, done: string) => {
    let change: Change | null;
    try {
      change = build();
    } catch (e) {
      notify(errorText(e), "error");
      return false;
    }
    return changes.run(change, done);
  };
  /** Saves the edit form: edited columns from their drafts, the others as they were read. */
  const save = () => {
    const item = editing;
    if (!item) return;
    void act(
      () =>
        source.edit(
          item,
          item.values.map((v, c) => (source.editable.includes(c) ? bytesOf(draft[c] as BytesDraft) : v)),
        ),
      "Saved",
    );
  };

  useEffect(() => {
    let alive = true;
    setSearching(query.match !== undefined);
    source.load(token, query).then(
      (p) => {
        if (!alive) return;
        setPage(p);
        setSearching(false);
      },
      (e) => {
        if (!alive) return;
        setSearching(false);
        notify(errorText(e), "error");
      },
    );
    return () => {
      alive = false;
    };
  }, [source, token, reload, props.version, query]);

  return (
    <section class="elements" aria-label={props.label}>
      {(source.searchable || source.reversible) && (
        <div class="row element-tools">
          {source.searchable && (
            <input
              type="search"
              aria-label="Find in this key"
              placeholder="Find: text or glob (HSCAN/SSCAN/ZSCAN MATCH)"
              value={search}
              onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)}
            />
          )}
          {source.reversible && (
            <label class="check">
              <input
                type="checkbox"
                checked={reverse}
                disabled={query.match !== undefined}
                onChange={(e) => setReverse((e.currentTarget as HTMLInputElement).checked)}
              />{" "}
              Highest score first
            </label>
          )}
          {searching && (
            <span class="muted" role="status">
              Searching…
            </span>
          )}
        </div>
      )}
      <table>
        <thead>
          <tr>
            {source.columns.map((c) => (
              <th key={c.name} scope="col">
                {c.name}
              </th>
            ))}
            {!readOnly && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {page?.items.map((item) => (
            <tr key={item.id} data-id={item.id}>
              {item.cells.map((cell, c) =>
                editing?.id === item.id && source.editable.includes(c) ? (
                  <td key={source.columns[c]?.name}>
                    <BytesField
                      label={`New ${source.columns[c]?.name}`}
                      views={viewsOf(source.columns[c])}
                      multiline={fieldOf(item.values[c]) === "area"}
                      draft={draft[c] as BytesDraft}
                      onDraft={(d) => {
                        const next = draft.slice();
                        next[c] = d;
                        setDraft(next);
                      }}
                      onError={(message) => notify(message, "error")}
                      onEnter={save}
                    />
                  </td>
                ) : (
                  <td key={source.columns[c]?.name} class="mono">
                    {cell}
                  </td>
                ),
              )}
              {!readOnly && (
                <td class="actions">
                  {editing?.id === item.id ? (
                    <>
                      <button type="button" onClick={save}>
                        Save
                      </button>
                      <button type="button" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <>
                      <button
                        type="button"
                        aria-label={`Edit ${item.cells[0]}`}
                        onClick={() => {
                          setEditing(item);
                          setDraft(
                            item.values.map((v, c) => draftOf(v, viewsOf(source.columns[c]), undefined, fieldOf(v))),
                          );
                        }}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        class="danger-outline"
                        aria-label={`Remove ${item.cells[0]}`}
                        onClick={() => void act(() => source.remove(item), "Removed")}
                      >
                        Remove
                      </button>
                    </>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {page && page.items.length === 0 && (
        <p class="muted">{query.match ? `Nothing matches “${search.trim()}”.` : "No elements on this page."}</p>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={tokens.length < 2} onClick={() => setTokens(tokens.slice(0, -1))}>
          ← Previous
        </button>
        <span>Page {tokens.length}</span>
        <button type="button" disabled={!page?.next} onClick={() => page?.next && setTokens([...tokens, page.next])}>
          Next →
        </button>
      </nav>
      {!readOnly && (
        <form
          class="add-row"
          aria-label="Add an element"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => source.add(adding.map(bytesOf), mode), "Added").then((ok) => {
              if (ok) setAdding(emptyDrafts(source.addFields));
            });
          }}
        >
          {source.addFields.map((f, i) => (
            <BytesField
              key={f.name}
              label={`Add: ${f.name}`}
              placeholder={f.name}
              views={viewsOf(f)}
              draft={adding[i] as BytesDraft}
              onDraft={(d) => {
                const next = adding.slice();
                next[i] = d;
                setAdding(next);
              }}
              onError={(message) => notify(message, "error")}
            />
          ))}
          {source.addModes && (
            <select
              aria-label="Where to add"
              value={mode}
              onChange={(e) => setMode((e.currentTarget as HTMLSelectElement).value)}
            >
              {source.addModes.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          )}
          <button type="submit">Add</button>
        </form>
      )}
      {changes.dialog}
    </section>
  );
}
