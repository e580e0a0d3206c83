// The inspector's pages other than a run: lists, a thread as a chat, a vector store, record/replay, login.
import { API, apiKey, badge, kv, fileImage, fileLink, fileName, folded, foldedPre, getJSON, h, markdown, postJSON, pretty, when } from "./core.js";

const TITLES = { assistants: "Assistants", threads: "Threads", files: "Files", vector_stores: "Vector stores",
  responses: "Responses", conversations: "Conversations", containers: "Containers" };

const outputText = (response) => (response.output || []).filter((i) => i.type === "message")
  .flatMap((m) => (m.content || []).map((p) => p.text || "")).join(" ");

function summary(kind, obj) {
  if (kind === "responses") return [h("a", { href: `#/responses/${obj.id}` }, obj.id), [badge(obj.status), " ", h("span", { class: "muted" }, obj.model), " ",
    outputText(obj).slice(0, 120) || h("span", { class: "muted" }, (obj.output || []).map((i) => i.type).join(", "))]];
  if (kind === "conversations") return [h("a", { href: `#/conversations/${obj.id}` }, obj.id), JSON.stringify(obj.metadata || {})];
  if (kind === "containers") return [h("a", { href: `#/containers/${obj.id}` }, obj.id), [obj.name || "", " ", badge(obj.status), " ",
    h("span", { class: "muted" }, `last active ${when(obj.last_active_at)}`)]];
  if (kind === "threads") return [h("a", { href: `#/threads/${obj.id}` }, obj.id), JSON.stringify(obj.metadata || {})];
  if (kind === "assistants") return [obj.id, [obj.name || "", " ", h("span", { class: "muted" }, obj.model)]];
  if (kind === "files") return [fileLink(obj.id, obj.id), [obj.filename, " ", h("span", { class: "muted" }, `${obj.purpose}, ${obj.bytes} bytes`)]];
  return [h("a", { href: `#/vector_stores/${obj.id}` }, obj.id), [obj.name || "", " ", badge(obj.status), " ",
    h("span", { class: "muted" }, `${obj.file_counts.completed}/${obj.file_counts.total} files`)]];
}

export async function listView(main, kind) {
  const rows = h("tbody");
  const more = h("button", { id: "load-more", hidden: true }, "Load more");
  const filter = h("input", { id: "filter", placeholder: "Filter loaded rows (id, name, metadata)", size: 40 });
  let last = null;
  const applyFilter = () => {
    const needle = filter.value.toLowerCase();
    for (const row of rows.children) row.hidden = needle && !row.dataset.search.includes(needle);
  };
  async function load() {
    const page = await getJSON(`${API}/list/${kind}?limit=50${last ? "&after=" + last : ""}`);
    for (const obj of page.data) {
      const [id, what] = summary(kind, obj);
      const row = h("tr", { "data-search": JSON.stringify(obj).toLowerCase() }, h("td", { class: "mono" }, id),
        h("td", {}, what), h("td", { class: "muted" }, when(obj.created_at)),
        h("td", {}, folded("JSON", h("pre", {}, pretty(obj)))));
      rows.append(row);
    }
    last = page.last_id;
    more.hidden = !page.has_more;
    applyFilter();
  }
  filter.addEventListener("input", applyFilter);
  more.addEventListener("click", load);
  main.replaceChildren(h("h1", {}, TITLES[kind]), h("div", { class: "toolbar" }, filter),
    h("table", { id: "list" }, h("thead", {}, h("tr", {}, ["id", "", "created", ""].map((t) => h("th", {}, t)))), rows), more);
  await load();
}

export function renderContent(message) {
  return (message.content || []).map((part) => {
    if (part.type === "text") return markdown(part.text.value, part.text.annotations || []);
    if (part.type === "image_file") return h("div", {}, fileImage(part.image_file.file_id, "message-image"));
    if (part.type === "image_url") return h("div", {}, h("img", { src: part.image_url.url, alt: "image" }));
    return h("pre", {}, pretty(part));
  });
}

function sources(message) {
  const cited = [];
  for (const part of message.content || []) {
    for (const a of (part.text && part.text.annotations) || []) {
      if (a.type === "file_citation" && !cited.includes(a.file_citation.file_id)) cited.push(a.file_citation.file_id);
    }
  }
  const files = (message.attachments || []).map((a) => a.file_id).filter((id) => !cited.includes(id));
  if (!cited.length && !files.length) return null;
  return h("div", { class: "sources" }, cited.length ? ["Sources: ", cited.map((id) => [fileLink(id), " "])] : null,
    files.length ? [" Files: ", files.map((id) => [fileLink(id), " "])] : null);
}

export function messageCard(message, threadId) {
  const run = message.run_id ? h("a", { class: "run-link", href: `#/threads/${threadId}/runs/${message.run_id}` }, `run ${message.run_id} ▸`) : null;
  return h("div", { class: `message role-${message.role}`, id: message.id },
    h("div", { class: "meta" }, h("strong", {}, message.role), when(message.created_at), message.status !== "completed" ? badge(message.status) : null, run),
    renderContent(message), sources(message));
}

export async function threadView(main, threadId) {
  const first = await getJSON(`${API}/threads/${threadId}?limit=50`);
  const chat = h("div", { class: "chat", id: "messages" });
  const older = h("button", { id: "load-older" }, "Load older messages");
  let last = first.messages.last_id;
  const place = (page) => {
    chat.prepend(...page.data.slice().reverse().map((m) => messageCard(m, threadId)));
    last = page.last_id;
    older.hidden = !page.has_more;
  };
  older.addEventListener("click", async () => place((await getJSON(`${API}/threads/${threadId}?limit=100&after=${last}`)).messages));
  const runs = h("div", { id: "runs" }, first.runs.map((r) => h("div", { class: "card" },
    h("a", { href: `#/threads/${threadId}/runs/${r.id}` }, r.id), " ", badge(r.status),
    h("div", { class: "muted" }, `${r.model} · ${when(r.created_at)}`))));
  main.replaceChildren(h("h1", {}, "Thread ", h("span", { class: "mono" }, threadId)),
    h("div", { class: "layout" }, h("div", {}, older, chat),
      h("aside", {}, h("h2", {}, "Runs"), runs, h("h2", {}, "Thread"), h("pre", {}, pretty(first.thread)))));
  place(first.messages);
  window.scrollTo(0, document.body.scrollHeight);
}

export async function vectorStoreView(main, storeId) {
  const view = await getJSON(`${API}/vector_stores/${storeId}`);
  const store = view.vector_store;
  const rows = view.files.map((f) => h("tr", { class: "vs-file" }, h("td", { class: "mono" }, fileLink(f.id, f.id)),
    h("td", {}, f.filename || ""), h("td", {}, badge(f.status)), h("td", { class: "chunks" }, f.chunks), h("td", {}, f.tokens),
    h("td", {}, f.usage_bytes), h("td", { class: "muted" }, f.last_error ? f.last_error.message : "")));
  const input = (id, value, size = 6) => h("input", { id, value, size });
  const query = h("input", { id: "search-query", placeholder: "Search this vector store", size: 40 });
  const form = h("form", { class: "toolbar", id: "search-form" }, query, "results", input("max-results", 10, 3),
    "score ≥", input("score-threshold", "0"), "embedding weight", input("embedding-weight", "0.65", 4),
    "text weight", input("text-weight", "0.35", 4), h("button", { type: "submit" }, "Search"));
  const results = h("div", { id: "search-results" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (id) => parseFloat(document.getElementById(id).value);
    const body = { query: query.value, max_num_results: parseInt(document.getElementById("max-results").value, 10) || 10,
      ranking_options: { score_threshold: value("score-threshold") || 0,
        hybrid_search: { embedding_weight: value("embedding-weight"), text_weight: value("text-weight") } } };
    try {
      const page = await postJSON(`/v1/vector_stores/${storeId}/search`, body);
      results.replaceChildren(...page.data.map((r, i) => h("div", { class: "card search-result" },
        h("div", { class: "call-head" }, `#${i + 1}`, h("span", { class: "score" }, r.score.toFixed(4)), fileLink(r.file_id, r.filename)),
        foldedPre(r.content.map((c) => c.text).join("\n"), "", 8))));
      if (!page.data.length) results.replaceChildren(h("p", { class: "muted" }, "No results."));
    } catch (e) { results.replaceChildren(h("p", { class: "refused" }, String(e.message || e))); }
  });
  main.replaceChildren(h("h1", {}, store.name || "Vector store", " ", h("span", { class: "mono muted" }, store.id), " ", badge(store.status)),
    kv("vs-facts", "files", JSON.stringify(store.file_counts), "usage bytes", store.usage_bytes,
      "created", when(store.created_at), "expires", when(store.expires_at)),
    h("h2", {}, "Files"), h("table", { id: "vs-files" }, h("thead", {}, h("tr", {}, ["file", "name", "status", "chunks", "tokens", "bytes", "error"].map((t) => h("th", {}, t)))), rows),
    h("p", { class: "muted" }, view.more_files ? "The first 100 files." : ""),
    h("h2", {}, "Search"), form, results);
}

export function diffView(diff) {
  return h("pre", { class: "diff" }, String(diff || "").split("\n").map((line) => h("span", {
    class: line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "" }, line + "\n")));
}

export function missCard(miss) {
  return h("div", { class: "card replay-miss" }, h("div", { class: "call-head" }, h("strong", {}, "Replay miss"),
    new Date(miss.at_ms).toLocaleTimeString(), miss.run_id ? h("span", { class: "mono" }, miss.run_id) : null,
    miss.nearest_index !== undefined && miss.nearest_index !== null ? `nearest recording #${miss.nearest_index + 1}` : null),
    h("p", {}, miss.message.split("\n")[0]), miss.diff ? diffView(miss.diff) : null,
    miss.request ? folded("the request that missed", h("pre", {}, pretty(miss.request))) : null);
}

export async function replayView(main) {
  const view = await getJSON(`${API}/replay?limit=200`);
  if (!view.mode) {
    main.replaceChildren(h("h1", {}, "Record/replay"), h("p", { class: "muted" }, "No cassette: start the server with --record PATH or --replay PATH."));
    return;
  }
  const last = (request) => { const m = (request.messages || []).slice(-1)[0] || {}; return `${m.role || ""}: ${typeof m.content === "string" ? m.content : JSON.stringify(m.content)}`.slice(0, 160); };
  main.replaceChildren(h("h1", {}, view.mode === "replay" ? "Replaying " : "Recording ", h("span", { class: "mono" }, view.cassette)),
    h("h2", {}, `Replay misses (${view.misses.length})`), h("div", { id: "misses" }, view.misses.length ? view.misses.map(missCard) : h("p", { class: "muted" }, "None.")),
    h("h2", {}, `Model calls recorded (${view.total_interactions})`),
    h("table", { id: "interactions" }, h("thead", {}, h("tr", {}, ["#", "key", "model", "last message", "response", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, view.interactions.map((i) => h("tr", {}, h("td", {}, i.index + 1), h("td", { class: "mono" }, i.key),
        h("td", {}, i.request.model, h("div", { class: "muted" }, i.recorded_with || "")), h("td", {}, last(i.request)),
        h("td", {}, (i.response.text || "") + (i.response.tool_calls || []).map((c) => ` ${c.name}(${c.arguments})`).join("")),
        h("td", {}, folded("JSON", h("pre", {}, pretty(i)))))))),
    h("h2", {}, `Hosted tool runs recorded (${view.total_tool_runs})`),
    h("div", {}, view.tool_runs.map((r) => h("div", { class: "card" }, h("strong", {}, r.tool), " ", h("span", { class: "mono" }, r.key),
      foldedPre(pretty(r.arguments), "", 10), folded("output", h("pre", {}, pretty(r.output)))))));
}

export function loginView(main, message) {
  const input = h("input", { id: "login-key", type: "password", placeholder: "API key", size: 36 });
  const form = h("form", { class: "card login", id: "login" }, h("h2", {}, "This server asks for its API key"),
    h("p", { class: "refused", id: "refusal" }, message), h("p", { class: "muted" },
      "The key stays in this tab (sessionStorage) and is sent as a Bearer token, as the API expects."),
    input, " ", h("button", { type: "submit", id: "login-button" }, "Open"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.dispatchEvent(new CustomEvent("inspector-key", { detail: input.value }));
  });
  main.replaceChildren(form);
  if (apiKey()) input.value = "";
}

export { fileName };
