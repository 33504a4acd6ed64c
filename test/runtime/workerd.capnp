# workerd configuration for the Memorabilia edge Worker (docs/RUNTIMES.md).
# It embeds worker.js from its own folder, so build both into one folder outside the repository:
#   npx esbuild test/runtime/entries/worker.ts --bundle --platform=neutral --format=esm \
#     --main-fields=module,main --outfile=/tmp/memorabilia-edge/worker.js
#   cp test/runtime/workerd.capnp /tmp/memorabilia-edge/
#   npx workerd serve /tmp/memorabilia-edge/workerd.capnp     (listens on 127.0.0.1:8787)
# The runtime matrix (test/runtime/) runs this very file with its own port and tokens.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "memorabilia", worker = .memorabiliaWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "memorabilia")],
);

const memorabiliaWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-09-01",
  bindings = [
    # The one Durable Object that holds the store.
    (name = "MEMORABILIA", durableObjectNamespace = "MemorabiliaObject"),
    # name:role:token entries (roles admin | readwrite | readonly); empty: no auth.
    (name = "MEMORABILIA_TOKENS", text = ""),
    (name = "MEMORABILIA_CORS_ORIGINS", text = ""),
  ],
  durableObjectNamespaces = [(className = "MemorabiliaObject", uniqueKey = "memorabilia-store")],
  # The store lives in the object's memory; alarms need the object storage, kept in memory too.
  durableObjectStorage = (inMemory = void),
);
