# workerd serves three Workers, bundled by run.ts into dist/ with esbuild:
# - "tests": runs core's portable tests, the token tests and the adapter conformance suite
#   (GET /run). The suite starts one app per test; each "slot" socket delivers its requests to
#   the same Worker, marked with the slot's number, and the Worker hands them to that app.
# - "app": the README's Workers app (runtimes/workers/app.ts), on the built packages.
# - "bench": what Web Crypto costs per call (GET /), for `bash .ci/runtimes --timing`.
# run.ts picks free loopback ports with `--socket-addr NAME=127.0.0.1:PORT`. From the
# compatibility date 2026-08-04 on, nodejs_compat is on by default: the tests Worker needs it
# (the conformance client's node:net, Jest's expect); the app's bundle imports no node: module.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "tests", worker = .tests),
    (name = "app", worker = .app),
    (name = "bench", worker = .bench),
    # What the Workers' fetch() and connect() reach: loopback only.
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "tests", address = "127.0.0.1:8780", http = (), service = "tests"),
    (name = "slot0", address = "127.0.0.1:8781", service = "tests",
     http = (injectRequestHeaders = [(name = "x-sesame-slot", value = "0")])),
    (name = "slot1", address = "127.0.0.1:8782", service = "tests",
     http = (injectRequestHeaders = [(name = "x-sesame-slot", value = "1")])),
    (name = "slot2", address = "127.0.0.1:8783", service = "tests",
     http = (injectRequestHeaders = [(name = "x-sesame-slot", value = "2")])),
    (name = "app", address = "127.0.0.1:8784", http = (), service = "app"),
    (name = "bench", address = "127.0.0.1:8785", http = (), service = "bench"),
  ],
);

const tests :Workerd.Worker = (
  modules = [(name = "tests.js", esModule = embed "dist/tests.js")],
  compatibilityDate = "2026-11-01",
);

const app :Workerd.Worker = (
  modules = [(name = "app.js", esModule = embed "dist/app.js")],
  compatibilityDate = "2026-11-01",
);

const bench :Workerd.Worker = (
  modules = [(name = "bench.js", esModule = embed "dist/bench.js")],
  compatibilityDate = "2026-11-01",
);
