import { useEffect, useRef, useState } from "preact/hooks";
import type { CommandInfo } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";
import { text as textOf } from "../model/bytes.js";
import { completeCommand, isWrite, tokenize } from "../model/command-line.js";
import { type CommandRunner, localHandle, type ReplyHandle } from "../model/reply-handle.js";
import { errorText, useConsole } from "./context.js";
import { REPLY_PAGE_LINES, ReplyView } from "./reply-view.js";

/** Replies kept in the log (the oldest go first). */
const MAX_ENTRIES = 50;

interface Entry {
  readonly id: number;
  readonly line: string;
  readonly reply?: ReplyHandle;
  readonly error?: string;
}

/**
 * The command bar: Redis-style commands with completion from the server's command table (Tab or
 * the list), history (Up/Down), and each reply rendered by type. Read-only sessions may run only
 * commands the table does not flag as writes. `runner` runs the commands (a worker in server
 * mode, so a huge reply is decoded off the main thread); by default, in the page.
 */
export function CommandBar(props: { inputRef?: { current: HTMLInputElement | null }; runner?: CommandRunner }) {
  const { clients, readOnly } = useConsole();
  const runner: CommandRunner = props.runner ?? {
    run: async (args, firstLines) =>
      localHandle((await clients.command.execute({ args: [...args] })).reply, firstLines),
  };
  const [commands, setCommands] = useState<CommandInfo[]>([]);
  const [line, setLine] = useState("");
  const [entries, setEntries] = useState<Entry[]>([]);
  const [history, setHistory] = useState<string[]>([]);
  const [histIndex, setHistIndex] = useState(-1);
  const [pick, setPick] = useState(0);
  const [open, setOpen] = useState(false);
  const output = useRef<HTMLDivElement>(null);
  const nextId = useRef(0);

  useEffect(() => {
    clients.command.listCommands({}).then(
      (res) => setCommands(res.commands),
      () => setCommands([]),
    );
  }, [clients]);
  useEffect(() => {
    output.current?.scrollTo(0, output.current.scrollHeight);
  }, [entries]);
  /** Adds an entry to the log; replies that fall out of it (or are cleared) are let go. */
  const log = (entry: Entry | null) =>
    setEntries((es) => {
      const kept = entry ? [...es, entry] : [];
      const gone = kept.length > MAX_ENTRIES ? kept.splice(0, kept.length - MAX_ENTRIES) : entry ? [] : es;
      for (const g of gone) g.reply?.dispose();
      return kept;
    });

  const suggestions = open ? completeCommand(commands, line).filter((c) => !readOnly || !isWrite(c)) : [];
  const name = line.trim().split(/\s+/)[0]?.toUpperCase() ?? "";
  const info = commands.find((c) => c.name === name);

  const run = async () => {
    const text = line.trim();
    if (!text) return;
    setHistory((h) => [text, ...h.filter((x) => x !== text)].slice(0, 100));
    setHistIndex(-1);
    setLine("");
    setOpen(false);
    const id = nextId.current++;
    let args: Uint8Array[];
    try {
      args = tokenize(text);
    } catch (e) {
      log({ id, line: text, error: (e as Error).message });
      return;
    }
    const first = args[0];
    const spec = first ? commands.find((c) => c.name === textOf(first).toUpperCase()) : undefined;
    if (readOnly && isWrite(spec)) {
      log({ id, line: text, error: "this session is read-only" });
      return;
    }
    try {
      log({ id, line: text, reply: await runner.run(args, REPLY_PAGE_LINES) });
    } catch (e) {
      log({ id, line: text, error: errorText(e) });
    }
  };

  const accept = (c: CommandInfo) => {
    setLine(`${c.name} `);
    setOpen(false);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (
      suggestions.length > 0 &&
      (e.key === "Tab" ||
        (e.key === "Enter" && pick >= 0 && open && line.trim().toUpperCase() !== suggestions[pick]?.name))
    ) {
      e.preventDefault();
      accept(suggestions[pick] as CommandInfo);
      return;
    }
    if (suggestions.length > 0 && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      setPick((p) => (p + (e.key === "ArrowDown" ? 1 : suggestions.length - 1)) % suggestions.length);
      return;
    }
    if (e.key === "Enter") {
      e.preventDefault();
      void run();
    } else if (e.key === "ArrowUp" && history.length > 0) {
      e.preventDefault();
      const i = Math.min(history.length - 1, histIndex + 1);
      setHistIndex(i);
      setLine(history[i] as string);
    } else if (e.key === "ArrowDown" && histIndex >= 0) {
      e.preventDefault();
      const i = histIndex - 1;
      setHistIndex(i);
      setLine(i < 0 ? "" : (history[i] as string));
    } else if (e.key === "Escape") {
      setOpen(false);
    }
  };

  return (
    <section class="command-bar" aria-label="Command bar">
      {entries.length > 0 && (
        <div class="command-tools">
          <button type="button" class="link" onClick={() => log(null)}>
            Clear
          </button>
        </div>
      )}
      <div class="command-output" ref={output} role="log" aria-live="polite" aria-label="Command results">
        {entries.map((en) => (
          <div key={en.id} class="command-entry">
            <div class="command-line mono">&gt; {en.line}</div>
            <div class="command-reply mono">
              {en.error ? (
                <pre class="reply r-error">(error) {en.error}</pre>
              ) : (
                en.reply && <ReplyView reply={en.reply} />
              )}
            </div>
          </div>
        ))}
      </div>
      <div class="command-input">
        <span aria-hidden="true" class="prompt">
          &gt;
        </span>
        <input
          ref={props.inputRef}
          class="mono"
          aria-label="Command"
          role="combobox"
          aria-expanded={suggestions.length > 0}
          aria-controls="command-suggestions"
          aria-autocomplete="list"
          aria-activedescendant={suggestions.length > 0 ? `cmd-${pick}` : undefined}
          placeholder={readOnly ? "Read-only commands, e.g. GET key" : "Type a command, e.g. SET greeting hello EX 60"}
          value={line}
          spellcheck={false}
          onInput={(e) => {
            setLine((e.currentTarget as HTMLInputElement).value);
            setOpen(true);
            setPick(0);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
        />
        {info && <span class="syntax muted mono">{info.syntax || info.name}</span>}
      </div>
      {suggestions.length > 0 && (
        <ul id="command-suggestions" role="listbox" class="suggestions" aria-label="Commands">
          {suggestions.map((c, i) => (
            <li
              key={c.name}
              id={`cmd-${i}`}
              role="option"
              aria-selected={i === pick}
              onMouseDown={(e) => {
                e.preventDefault();
                accept(c);
              }}
            >
              <strong>{c.name}</strong> <span class="muted">{c.summary}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
