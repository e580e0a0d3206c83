// The inspector's router: the page for each #/ address; a refused key shows the login instead.
import { $, Refused, apiKey, getJSON, h, kv, setKey } from "./core.js";
import { runView } from "./run.js";
import { containerView, conversationView, responseView } from "./responses.js";
import { listView, loginView, replayView, threadView, vectorStoreView } from "./views.js";

let current = null;

async function overview(main) {
  const info = await getJSON("/_emulator/inspector/api/overview");
  const recording = info.recording ? `${info.recording.mode}: ${info.recording.cassette} (${info.recording.misses} misses)` : "off";
  main.replaceChildren(h("h1", {}, "Inspector"), kv("overview", "data dir", info.data_dir, "record/replay", recording, "deterministic", String(info.deterministic)),
  h("p", {}, ...info.lists.map((kind) => [h("a", { href: `#/list/${kind}` }, kind.replace("_", " ")), " · "]),
    h("a", { href: "#/replay" }, "record/replay")),
  info.planned.length ? h("p", { class: "muted" }, `Coming: ${info.planned.join(", ")}.`) : null);
}

async function route() {
  if (current) current.abort();
  current = new AbortController();
  const signal = current.signal;
  const main = $("#main");
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  main.dataset.loaded = "false";
  try {
    if (parts[0] === "list") await listView(main, parts[1]);
    else if (parts[0] === "threads" && parts[2] === "runs") await runView(main, parts[1], parts[3], signal);
    else if (parts[0] === "threads") await threadView(main, parts[1]);
    else if (parts[0] === "responses") await responseView(main, parts[1], signal);
    else if (parts[0] === "conversations") await conversationView(main, parts[1]);
    else if (parts[0] === "containers") await containerView(main, parts[1]);
    else if (parts[0] === "vector_stores") await vectorStoreView(main, parts[1]);
    else if (parts[0] === "replay") await replayView(main);
    else await overview(main);
  } catch (e) {
    if (signal.aborted) return;
    if (e instanceof Refused) loginView(main, e.message);
    else main.replaceChildren(h("p", { class: "refused", id: "error" }, String(e.message || e)));
  }
  main.dataset.loadedAt = String(performance.now());  // ms since the page itself loaded (tests read it)
  main.dataset.loaded = "true";
}

function useKey(value) {
  setKey(value.trim());
  $("#api-key").value = "";
  $("#api-key").placeholder = apiKey() ? "API key set for this tab" : "API key (if the server has --api-key)";
  route();
}

$("#key-form").addEventListener("submit", (event) => { event.preventDefault(); useKey($("#api-key").value); });
window.addEventListener("inspector-key", (event) => useKey(event.detail));
window.addEventListener("hashchange", route);
if (apiKey()) $("#api-key").placeholder = "API key set for this tab";
route();
