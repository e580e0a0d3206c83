// The Responses API's pages: a response as a timeline (its input and output items in order, model calls,
// live while it runs), a conversation as a chat, a container and its files.
import { API, badge, containerFileLink, fileImage, fileLink, folded, foldedPre, followEvents, getJSON, h, kv, markdown, pretty, urlImage, when } from "./core.js";
import { modelCall, ms } from "./run.js";
import { missCard } from "./views.js";

const ACTIVE = ["queued", "in_progress"];

// -- items -------------------------------------------------------------------------------------------
function part(p) {
  if (p.type === "input_text" || p.type === "output_text") return markdown(p.text || "", p.annotations || []);
  if (p.type === "refusal") return h("p", { class: "refused" }, p.refusal);
  if (p.type === "input_image") {
    if (p.file_id) return h("div", {}, fileImage(p.file_id, "message-image"));
    return p.image_url ? h("div", {}, h("img", { src: p.image_url, alt: "input image", class: "message-image" })) : h("span", { class: "muted" }, "[image]");
  }
  if (p.type === "input_file") return h("div", {}, "file: ", p.file_id ? fileLink(p.file_id, p.filename) : p.filename || "(inline)");
  return h("pre", {}, pretty(p));
}

function citedFiles(item) {
  const links = [];
  const seen = new Set();
  for (const p of item.content || []) {
    for (const a of p.annotations || []) {
      const key = `${a.container_id || ""}/${a.file_id}`;
      if (!a.file_id || seen.has(key)) continue;
      seen.add(key);
      if (a.type === "file_citation") links.push(fileLink(a.file_id, a.filename));
      else if (a.type === "container_file_citation") links.push(containerFileLink(a.container_id, a.file_id, a.filename));
    }
  }
  return links.length ? h("div", { class: "sources" }, "Sources: ", links.map((l) => [l, " "])) : null;
}

function messageItem(item, extra) {
  const text = typeof item.content === "string" ? [markdown(item.content)] : (item.content || []).map(part);
  return h("div", { class: `message role-${item.role} item-message`, id: item.id },
    h("div", { class: "meta" }, h("strong", {}, item.role), item.status && item.status !== "completed" ? badge(item.status) : null, extra),
    text, citedFiles(item));
}

function codeItem(item) {
  return [h("h3", {}, "code_interpreter ", item.status ? badge(item.status) : null, " ",
    item.container_id ? h("a", { class: "container-link", href: `#/containers/${item.container_id}` }, item.container_id) : null),
  h("pre", { class: "code" }, item.code || ""),
  item.outputs === null || item.outputs === undefined ? h("p", { class: "muted" }, "no outputs yet") :
    item.outputs.map((o) => (o.type === "logs" ? [h("div", { class: "muted" }, "logs"), foldedPre(o.logs, "logs", 40)]
      : o.type === "image" ? h("div", {}, urlImage(o.url, "ci-image"), h("div", { class: "muted mono" }, o.url))
        : h("pre", {}, pretty(o))))];
}

function searchItem(item) {
  const results = item.results || [];
  return [h("h3", {}, "file_search ", item.status ? badge(item.status) : null),
    h("div", {}, "queries: ", (item.queries || []).map((q) => [h("code", { class: "query" }, q), " "])),
    h("table", { class: "search-results" }, h("thead", {}, h("tr", {}, ["#", "score", "file", "text"].map((t) => h("th", {}, t)))),
      h("tbody", {}, results.map((r, i) => h("tr", { class: "search-result" }, h("td", {}, i + 1),
        h("td", { class: "score" }, Number(r.score).toFixed(4)), h("td", {}, fileLink(r.file_id, r.filename)),
        h("td", {}, foldedPre(r.text || "", "", 6)))))),
    item.results === null || item.results === undefined ? h("p", { class: "muted" }, "no results yet") : null];
}

function functionItem(item, outputs) {
  const answer = outputs[item.call_id];
  return [h("h3", {}, "function ", h("code", {}, item.name), " ", h("span", { class: "mono muted" }, item.call_id)),
    h("div", { class: "muted" }, "arguments"), h("pre", { class: "arguments" }, pretty(item.arguments)),
    answer ? [h("div", { class: "muted" }, "output (sent in ", answer.where, ")"), foldedPre(answer.output, "", 30)] : null];
}

// One item of a response or a conversation; `outputs` maps call ids to the function outputs seen.
export function itemCard(item, outputs = {}, extra = null) {
  if (item.type === "message" || (!item.type && item.role)) return messageItem(item, extra);
  const body = item.type === "code_interpreter_call" ? codeItem(item) : item.type === "file_search_call" ? searchItem(item)
    : item.type === "function_call" ? functionItem(item, outputs)
      : item.type === "function_call_output" ? [h("h3", {}, "function output ", h("span", { class: "mono muted" }, item.call_id)), foldedPre(pretty(item.output), "", 30)]
        : [h("h3", {}, item.type), h("pre", {}, pretty(item))];
  return h("div", { class: `tool-call item item-${item.type}`, id: item.id }, body, extra);
}

// -- a response ---------------------------------------------------------------------------------------
function timeline(view) {
  const r = view.response;
  const events = ((view.trace && view.trace.events) || []).filter((e) => e.event.startsWith("response."));
  if (!events.length) {  // no trace (the server restarted since): the response's own timestamps
    return h("ul", { class: "timeline", id: "timeline" }, ["created_at", "completed_at"].filter((k) => r[k]).map((k) =>
      h("li", { class: "run-status" }, h("span", { class: "t" }, when(r[k])), k.replace("_at", ""))));
  }
  const start = events[0].at_ms;
  return h("ul", { class: "timeline", id: "timeline" }, events.map((e) => {
    const status = /^response\.(created|queued|in_progress|completed|failed|incomplete|cancelled)$/.exec(e.event);
    return h("li", { class: status ? "run-status" : "" }, h("span", { class: "t" }, `+${ms(e.at_ms - start)}`),
      status ? badge(status[1]) : e.event.replace(/^response\./, "") + " ", !status && e.id ? h("span", { class: "mono muted" }, e.id) : null);
  }));
}

const usageText = (u) => (u ? `${u.input_tokens} input + ${u.output_tokens} output = ${u.total_tokens} tokens` : "—");

function responseBody(view) {
  const r = view.response;
  const calls = (view.trace && view.trace.model_calls) || [];
  const outputs = {};
  for (const item of view.input) if (item.type === "function_call_output") outputs[item.call_id] = { output: item.output, where: "this response's input" };
  return [
    h("h1", {}, "Response ", h("span", { class: "mono" }, r.id), " ", h("span", { id: "response-status" }, badge(r.status))),
    kv("response-facts", "model", r.model, "created", when(r.created_at), "completed", when(r.completed_at),
      "previous response", r.previous_response_id ? h("a", { href: `#/responses/${r.previous_response_id}` }, r.previous_response_id) : "—",
      "conversation", r.conversation ? h("a", { href: `#/conversations/${r.conversation.id}` }, r.conversation.id) : "—",
      "background", String(!!r.background), "usage", usageText(r.usage),
      "tools", (r.tools || []).map((t) => t.type + (t.name ? ` ${t.name}` : "")).join(", ") || "none"),
    r.instructions ? folded("instructions", foldedPre(r.instructions, "", 20)) : null,
    r.error ? h("div", { class: "card last-error", id: "response-error" }, h("strong", {}, `error: ${r.error.code}`), h("div", {}, r.error.message)) : null,
    r.incomplete_details ? h("div", { class: "card last-error", id: "incomplete" }, `incomplete: ${r.incomplete_details.reason}`) : null,
    view.replay_misses.length ? [h("h2", {}, "Replay misses"), view.replay_misses.map(missCard)] : null,
    h("h2", {}, "Timeline"), timeline(view),
    h("h2", {}, `Input (${view.input.length}${view.more_input ? "+" : ""})`), h("div", { class: "chat", id: "input-items" }, view.input.map((i) => itemCard(i, outputs))),
    h("h2", {}, `Output (${(r.output || []).length})`), h("div", { class: "chat", id: "output-items" },
      (r.output || []).length ? r.output.map((i) => itemCard(i, outputs)) : h("p", { class: "muted" }, ACTIVE.includes(r.status) ? "Output shows as it is made." : "No output.")),
    h("h2", {}, `Model calls (${calls.length})`),
    h("div", { id: "model-calls" }, calls.length ? calls.map(modelCall) : h("p", { class: "muted" },
      ACTIVE.includes(r.status) ? "A model call shows here once it has answered." :
        view.trace ? "No model call answered for this response." : "Not kept: model calls are kept in memory, and the server restarted since this response.")),
    folded("response object (JSON)", h("pre", {}, pretty(r))),
  ];
}

export async function responseView(main, responseId, signal) {
  const url = `${API}/responses/${responseId}`;
  const body = h("div", { id: "response-body" });
  const liveText = h("div", { id: "live-text" });
  const state = h("span", { id: "live-state" }, "");
  const live = h("div", { class: "card", id: "live", hidden: true }, h("strong", {}, "Live "), state, liveText);
  main.replaceChildren(live, body);
  const show = (view) => body.replaceChildren(...responseBody(view).flat(Infinity).filter(Boolean));
  const view = await getJSON(url);
  show(view);
  if (ACTIVE.includes(view.response.status)) follow(url, view, { live, state, liveText, show, signal });
}

// Follow a response in progress: its text as it streams, its output items as they are added and done
// (the stored response has its output only once it ends), and the whole view again on a status change.
async function follow(url, fetched, { live, state, liveText, show, signal }) {
  const items = [];
  const timers = {};
  const later = (name, fn) => { clearTimeout(timers[name]); timers[name] = setTimeout(() => { if (!signal.aborted) fn(); }, 100); };
  const render = () => {
    const stored = fetched.response.output || [];
    show(stored.length || !items.length ? fetched : { ...fetched, response: { ...fetched.response, output: items.filter(Boolean) } });
  };
  const refetch = () => later("fetch", async () => { fetched = await getJSON(url); render(); });
  live.hidden = false;
  state.textContent = "following the response's events (text streamed from here on):";
  try {
    await followEvents(`${url}/events`, (name, data) => {
      if (!name.startsWith("response.")) return;  // inspector.status: the status it started from
      const event = JSON.parse(data || "{}");
      if (name === "response.output_text.delta") liveText.append(event.delta || "");
      else if (name === "response.output_item.added" || name === "response.output_item.done") {
        items[event.output_index] = event.item;
        later("render", render);
      } else if (/^response\.[a-z_]+$/.test(name)) refetch();
    }, signal);
    state.textContent = "the response stopped moving:";
  } catch (e) {
    if (signal.aborted) return;
    state.textContent = `events stopped (${e.message || e}):`;
  }
  refetch();
}

// -- a conversation -------------------------------------------------------------------------------------
export async function conversationView(main, conversationId) {
  const url = `${API}/conversations/${conversationId}?order=asc&limit=100`;
  const first = await getJSON(url);
  const chat = h("div", { class: "chat", id: "conversation-items" });
  const more = h("button", { id: "load-more" }, "Load more items");
  const outputs = {};
  let last = null;
  const place = (page) => {
    for (const item of page.data) if (item.type === "function_call_output") outputs[item.call_id] = { output: item.output, where: "the conversation" };
    chat.append(...page.data.map((item) => itemCard(item, outputs)));
    last = page.last_id;
    more.hidden = !page.has_more;
  };
  more.addEventListener("click", async () => place((await getJSON(`${url}&after=${last}`)).items));
  const c = first.conversation;
  main.replaceChildren(h("h1", {}, "Conversation ", h("span", { class: "mono" }, c.id)),
    kv("conversation-facts", "created", when(c.created_at), "metadata", JSON.stringify(c.metadata || {})), chat, more);
  place(first.items);
}

// -- a container ----------------------------------------------------------------------------------------
export async function containerView(main, containerId) {
  const view = await getJSON(`${API}/containers/${containerId}`);
  const c = view.container;
  const expiry = c.expires_after || {};
  const anchor = expiry.anchor === "last_active_at" ? c.last_active_at || c.created_at : c.created_at;
  const expiresAt = expiry.minutes ? anchor + expiry.minutes * 60 : null;
  const expired = c.status === "expired";
  const rows = view.files.map((f) => h("tr", { class: "container-file-row", id: f.id },
    h("td", {}, expired ? h("span", { class: "mono" }, f.path) : containerFileLink(c.id, f.id, f.path.split("/").pop())),
    h("td", { class: "mono muted" }, f.path), h("td", {}, f.source), h("td", {}, f.bytes), h("td", { class: "muted" }, when(f.created_at))));
  main.replaceChildren(...[h("h1", {}, c.name || "Container", " ", h("span", { class: "mono muted" }, c.id), " ", h("span", { id: "container-status" }, badge(c.status))),
    kv("container-facts", "created", when(c.created_at), "last active", when(c.last_active_at),
      "expires", expiry.minutes ? `${expiry.minutes} minutes after ${expiry.anchor} (${expired ? "expired" : when(expiresAt)})` : "never",
      "memory limit", c.memory_limit || "—"),
    h("h2", {}, `Files (${view.files.length})`),
    expired ? h("p", { class: "muted" }, "The container has expired: its files no longer download (the API answers \"Container is expired.\").") : null,
    h("table", { id: "container-files" }, h("thead", {}, h("tr", {}, ["file", "path", "source", "bytes", "created"].map((t) => h("th", {}, t)))), h("tbody", {}, rows)),
    folded("container object (JSON)", h("pre", {}, pretty(c)))].filter(Boolean));  // replaceChildren shows a null
}
