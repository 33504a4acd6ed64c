import { useEffect, useState } from "preact/hooks";
import { errorText, useConsole } from "../context.js";

/** One element of a container as the table shows it: display cells, and the texts to edit. */
export interface Element {
  readonly id: string;
  /** Cell texts, one per column. */
  readonly cells: readonly string[];
  /** Anything the type's code needs to act on it (index, raw member bytes, …). */
  readonly ref: unknown;
}

/** A page of elements and the token of the next page (null at the end). */
export interface ElementPage {
  readonly items: readonly Element[];
  readonly next: string | null;
}

/** How a container type reads and changes its elements. */
export interface ElementSource {
  /** Column names; the first is the element's identity (index, field, member). */
  readonly columns: readonly string[];
  /** Which columns the edit form changes (by index). */
  readonly editable: readonly number[];
  /** Columns the add form asks for, with input placeholders. */
  readonly addFields: readonly string[];
  /** Extra add choices (e.g. "head" / "tail" for lists): the first is the default. */
  readonly addModes?: readonly string[];
  load(token: string): Promise<ElementPage>;
  save(item: Element, values: readonly string[]): Promise<void>;
  remove(item: Element): Promise<void>;
  add(values: readonly string[], mode: string): Promise<void>;
}

/**
 * A paged table of a container's elements with add, edit and remove (hidden when read-only).
 * `version` changes reload the current page (after an edit, or a live change of the key).
 */
export function ElementTable(props: { source: ElementSource; label: string; version: number }) {
  const { readOnly, notify } = useConsole();
  const { source } = props;
  const [tokens, setTokens] = useState<string[]>(["0"]);
  const [page, setPage] = useState<ElementPage | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState<string[]>([]);
  const [adding, setAdding] = useState<string[]>(source.addFields.map(() => ""));
  const [mode, setMode] = useState(source.addModes?.[0] ?? "");
  const [reload, setReload] = useState(0);
  const token = tokens[tokens.length - 1] as string;

  useEffect(() => {
    let alive = true;
    source.load(token).then(
      (p) => alive && setPage(p),
      (e) => alive && notify(errorText(e), "error"),
    );
    return () => {
      alive = false;
    };
  }, [source, token, reload, props.version]);

  const act = async (what: Promise<void>, done: string) => {
    try {
      await what;
      notify(done);
      setEditing(null);
      setReload((n) => n + 1);
    } catch (e) {
      notify(errorText(e), "error");
    }
  };

  return (
    <section class="elements" aria-label={props.label}>
      <table>
        <thead>
          <tr>
            {source.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            {!readOnly && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {page?.items.map((item) => (
            <tr key={item.id} data-id={item.id}>
              {item.cells.map((cell, c) =>
                editing === item.id && source.editable.includes(c) ? (
                  <td key={source.columns[c]}>
                    <input
                      aria-label={`New ${source.columns[c]}`}
                      value={draft[c]}
                      onInput={(e) => {
                        const next = draft.slice();
                        next[c] = (e.currentTarget as HTMLInputElement).value;
                        setDraft(next);
                      }}
                      onKeyDown={(e) => e.key === "Enter" && act(source.save(item, draft), "Saved")}
                    />
                  </td>
                ) : (
                  <td key={source.columns[c]} class="mono">
                    {cell}
                  </td>
                ),
              )}
              {!readOnly && (
                <td class="actions">
                  {editing === item.id ? (
                    <>
                      <button type="button" onClick={() => act(source.save(item, draft), "Saved")}>
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
                          setEditing(item.id);
                          setDraft(item.cells.slice());
                        }}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        class="danger-outline"
                        aria-label={`Remove ${item.cells[0]}`}
                        onClick={() => act(source.remove(item), "Removed")}
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
      {page && page.items.length === 0 && <p class="muted">No elements on this page.</p>}
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
            act(
              source.add(adding, mode).then(() => setAdding(source.addFields.map(() => ""))),
              "Added",
            );
          }}
        >
          {source.addFields.map((f, i) => (
            <input
              key={f}
              aria-label={`Add: ${f}`}
              placeholder={f}
              value={adding[i]}
              onInput={(e) => {
                const next = adding.slice();
                next[i] = (e.currentTarget as HTMLInputElement).value;
                setAdding(next);
              }}
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
    </section>
  );
}
