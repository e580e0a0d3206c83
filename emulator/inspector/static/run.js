// A run as a timeline: status changes and steps in time, tool calls (code, logs, images, search results,
// function arguments and outputs), the model calls made through litellm, and live updates while it runs.
import { API, badge, kv, fileImage, fileLink, folded, foldedPre, followEvents, getJSON, h, pretty, when } from "./core.js";
import { messageCard, missCard } from "./views.js";

const ACTIVE = ["queued", "in_progress", "requires_action", "cancelling"];
export const ms = (n) => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`);

function timeline(view) {
  const run = view.run;
  const events = (view.trace && view.trace.events) || [];
  if (!events.length) {  // no trace (the server restarted since): the run's own timestamps
    const stamps = ["created_at", "started_at", "completed_at", "failed_at", "cancelled_at"].filter((k) => run[k]);
    return h("ul", { class: "timeline", id: "timeline" }, stamps.map((k) => h("li", { class: "run-status" },
      h("span", { class: "t" }, when(run[k])), k.replace("_at", ""))));
  }
  const start = events[0].at_ms;
  return h("ul", { class: "timeline", id: "timeline" }, events.map((e) => {
    const isRun = /^thread\.run\.[a-z_]+$/.test(e.event);
    return h("li", { class: isRun ? "run-status" : "" }, h("span", { class: "t" }, `+${ms(e.at_ms - start)}`),
      isRun ? [badge(e.event.split(".").pop()), " "] : e.event + " ", e.id && !isRun ? h("span", { class: "mono muted" }, e.id) : null);
  }));
}

function stepDuration(step, trace) {
  if (step.status === "in_progress") return "running…";
  const events = ((trace && trace.events) || []).filter((e) => e.id === step.id);
  if (events.length > 1) return ms(events[events.length - 1].at_ms - events[0].at_ms);
  const end = step.completed_at || step.failed_at || step.cancelled_at || step.expired_at;
  return end ? `${end - step.created_at} s` : "…";
}

function codeCall(call) {
  const ci = call.code_interpreter;
  return [h("h3", {}, "code_interpreter"), h("pre", { class: "code" }, ci.input),
    (ci.outputs || []).map((o) => (o.type === "logs" ? [h("div", { class: "muted" }, "logs"), foldedPre(o.logs, "logs", 40)]
      : o.type === "image" ? h("div", {}, fileImage(o.image.file_id, "ci-image"), h("div", { class: "muted" }, fileLink(o.image.file_id)))
      : h("pre", {}, pretty(o))))];
}

function searchCall(call, record) {
  const fs = call.file_search || {};
  const results = (record && record.results) || fs.results || [];
  return [h("h3", {}, "file_search"),
    h("div", {}, "queries: ", ((record && record.queries) || []).map((q) => h("code", { class: "query" }, q)).flatMap((c) => [c, " "])),
    h("div", { class: "muted" }, "ranking: ", JSON.stringify(fs.ranking_options || {})),
    h("table", { class: "search-results" }, h("thead", {}, h("tr", {}, ["#", "score", "file", "marker", "chunk"].map((t) => h("th", {}, t)))),
      h("tbody", {}, results.map((r, i) => h("tr", { class: "search-result" }, h("td", {}, i + 1),
        h("td", { class: "score" }, Number(r.score).toFixed(4)), h("td", {}, fileLink(r.file_id, r.file_name)),
        h("td", { class: "mono" }, r.marker || ""),
        h("td", {}, foldedPre(r.text || (r.content || []).map((c) => c.text).join("\n"), "", 6))))))];
}

function functionCall(call) {
  const f = call.function;
  return [h("h3", {}, "function ", h("code", {}, f.name)), h("div", { class: "muted" }, "arguments"), h("pre", {}, pretty(f.arguments)),
    h("div", { class: "muted" }, "output"), f.output === null || f.output === undefined
      ? h("p", { class: "muted" }, "waiting for the app's output") : foldedPre(f.output, "", 30)];
}

function stepCard(step, view) {
  const details = step.step_details;
  const body = details.type === "message_creation"
    ? h("div", { class: "muted" }, "wrote message ", h("span", { class: "mono" }, details.message_creation.message_id))
    : details.tool_calls.map((call) => h("div", { class: `tool-call tool-${call.type}`, id: call.id },
      call.type === "code_interpreter" ? codeCall(call) : call.type === "file_search" ? searchCall(call, view.file_searches[call.id])
        : call.type === "function" ? functionCall(call) : h("pre", {}, pretty(call))));
  return h("div", { class: "card step", id: step.id }, h("div", { class: "step-head" }, h("strong", {}, details.type), badge(step.status),
    h("span", { class: "mono muted" }, step.id), h("span", { class: "duration" }, stepDuration(step, view.trace)),
    step.usage ? h("span", { class: "muted" }, `${step.usage.prompt_tokens} + ${step.usage.completion_tokens} tokens`) : null),
  step.last_error ? h("div", { class: "card last-error" }, `${step.last_error.code}: ${step.last_error.message}`) : null, body);
}

function promptMessage(m) {
  const content = typeof m.content === "string" ? m.content : m.content ? pretty(m.content) : "";
  const calls = (m.tool_calls || []).map((c) => `→ ${c.function.name}(${c.function.arguments})`).join("\n");
  return h("div", { class: "prompt-message" }, h("strong", {}, m.role), m.tool_call_id ? h("span", { class: "mono muted" }, ` ${m.tool_call_id}`) : null,
    foldedPre([content, calls].filter(Boolean).join("\n"), "", 12));
}

export function modelCall(call, i) {
  const { request, response } = call;
  const options = Object.fromEntries(Object.entries(request).filter(([k]) => !["messages", "tools"].includes(k)));
  const usage = response.usage ? `${response.usage.prompt_tokens} prompt + ${response.usage.completion_tokens} completion tokens` : "no usage";
  return h("div", { class: "card model-call" }, h("div", { class: "call-head" }, h("strong", {}, `model call ${i + 1}`),
    h("span", { class: "mono" }, request.model), request.replayed_from ? h("span", { class: "badge" }, "replayed from the cassette") : null,
    ms(call.duration_ms), h("span", { class: "usage" }, usage),
    response.finish_reason ? h("span", { class: "muted" }, `finish: ${response.finish_reason}`) : null),
  call.error ? h("div", { class: "card last-error" }, `${call.error.code}: ${call.error.message}`) : null,
  h("div", { class: "muted" }, "response"),
  response.text ? foldedPre(response.text, "response-text", 20) : null,
  (response.tool_calls || []).map((c) => h("pre", { class: "response-call" }, `${c.name}(${c.arguments})`)),
  folded(`request: ${(request.messages || []).length} messages, ${(request.tools || []).length} tools`,
    h("div", { class: "muted" }, "options"), h("pre", {}, pretty(options)),
    h("div", { class: "muted" }, "tools: ", (request.tools || []).map((t) => (t.function ? t.function.name : t.type)).join(", ")),
    (request.messages || []).map(promptMessage)),
  folded("exact request and response (JSON)", h("pre", { class: "raw-request" }, pretty(call))));
}

function runBody(view) {
  const run = view.run;
  const trace = view.trace;
  const calls = (trace && trace.model_calls) || [];
  return [
    h("h1", {}, "Run ", h("span", { class: "mono" }, run.id), " ", h("span", { id: "run-status" }, badge(run.status))),
    kv("run-facts", "thread", h("a", { href: `#/threads/${run.thread_id}` }, run.thread_id), "assistant", run.assistant_id,
      "model", run.model, "created", when(run.created_at), "usage", run.usage ? `${run.usage.prompt_tokens} prompt + ${run.usage.completion_tokens} completion = ${run.usage.total_tokens}` : "—",
      "tools", (run.tools || []).map((t) => t.type).join(", ") || "none"),
    run.last_error ? h("div", { class: "card last-error", id: "last-error" }, h("strong", {}, `last_error: ${run.last_error.code}`), h("div", {}, run.last_error.message)) : null,
    view.replay_misses.length ? [h("h2", {}, "Replay misses"), view.replay_misses.map(missCard)] : null,
    h("h2", {}, "Timeline"), timeline(view),
    h("h2", {}, `Steps (${view.steps.length})`), h("div", { id: "steps" }, view.steps.map((s) => stepCard(s, view))),
    h("h2", {}, `Model calls (${calls.length})`),
    h("div", { id: "model-calls" }, calls.length ? calls.map(modelCall) : h("p", { class: "muted" },
      ACTIVE.includes(run.status) ? "A model call shows here once it has answered." :
      trace ? "No model call answered for this run." : "Not kept: model calls are kept in memory, and the server restarted since this run.")),
    h("h2", {}, "Messages written"), h("div", { class: "chat", id: "run-messages" }, view.messages.map((m) => messageCard(m, run.thread_id))),
    folded("run object (JSON)", h("pre", {}, pretty(run))),
  ];
}

export async function runView(main, threadId, runId, signal) {
  const url = `${API}/threads/${threadId}/runs/${runId}`;
  const body = h("div", { id: "run-body" });
  const liveText = h("div", { id: "live-text" });
  const state = h("span", { id: "live-state" }, "");
  const live = h("div", { class: "card", id: "live", hidden: true }, h("strong", {}, "Live "), state, liveText);
  main.replaceChildren(live, body);
  const show = (view) => body.replaceChildren(...runBody(view).flat(Infinity).filter(Boolean));
  const view = await getJSON(url);
  show(view);
  if (ACTIVE.includes(view.run.status)) follow(url, live, state, liveText, show, signal);  // not awaited: the page is loaded
}

// Follow a run in progress: message text as it streams, and the whole view again on every other event.
async function follow(url, live, state, liveText, show, signal) {
  let pending = null;
  const refresh = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => { if (!signal.aborted) show(await getJSON(url)); }, 100);
  };
  live.hidden = false;
  state.textContent = "following the run's events (text streamed from here on):";
  try {
    await followEvents(`${url}/events`, (name, data) => {
      if (name === "thread.message.delta") {
        for (const part of JSON.parse(data).delta.content || []) if (part.type === "text") liveText.append(part.text.value || "");
      } else if (name !== "thread.run.step.delta") refresh();
    }, signal);
    state.textContent = "the run stopped moving:";
  } catch (e) {
    if (signal.aborted) return;
    state.textContent = `events stopped (${e.message || e}):`;
  }
  refresh();
}
