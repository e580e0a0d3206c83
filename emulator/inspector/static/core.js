// The inspector's shared parts: the API key, JSON fetches, element building, files (download, images),
// a small markdown renderer with annotations as citations and file links, and the live event reader.
export const API = "/_emulator/inspector/api";
const KEY = "emulatorInspectorKey";

export const $ = (sel, root = document) => root.querySelector(sel);
export const apiKey = () => sessionStorage.getItem(KEY) || "";
export const setKey = (value) => value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY);
export const authHeaders = () => (apiKey() ? { Authorization: "Bearer " + apiKey() } : {});

export class Refused extends Error {}

export async function getJSON(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  let body = null;
  try { body = await response.json(); } catch (_e) { body = null; }
  const message = body && body.error ? body.error.message : response.statusText;
  if (response.status === 401) throw new Refused(message);
  if (!response.ok) throw new Error(message);
  return body;
}

export const postJSON = (path, body) => getJSON(path, {
  method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });

// h("div", {class: "x", onclick: f}, child, "text", [more]) -> an element
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "html") el.innerHTML = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// A definition grid: kv(elementId, "name", value, "name", value, ...)
export const kv = (id, ...pairs) => h("div", { class: "kv", id }, pairs.map((item) => h("div", {}, item)));
export const when = (unix) => unix ? new Date(unix * 1000).toLocaleString() : "—";
export const badge = (status) => h("span", { class: "badge status-" + status }, status);
export const pretty = (value) => {
  if (typeof value === "string") { try { return JSON.stringify(JSON.parse(value), null, 2); } catch (_e) { return value; } }
  return JSON.stringify(value, null, 2);
};
export const folded = (summary, ...content) => h("details", {}, h("summary", {}, summary), ...content);
// A long text folded after `lines` lines or `chars` characters; short ones shown whole.
export function foldedPre(text, cls = "", lines = 30, chars = lines * 100) {
  const all = String(text ?? "");
  let cut = all.split("\n").slice(0, lines).join("\n").length;
  cut = Math.min(cut, chars);
  if (cut >= all.length) return h("pre", { class: cls }, all);
  return h("div", {}, h("pre", { class: cls }, all.slice(0, cut) + "…"),
    folded(`${all.length - cut} more characters`, h("pre", { class: cls }, all.slice(cut))));
}

export function toast(text) {
  const el = $("#toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
}

// -- files -----------------------------------------------------------------------------------------
const names = new Map();
export async function fileName(fileId) {
  if (!names.has(fileId)) {
    names.set(fileId, getJSON(`/v1/files/${fileId}`).then((f) => f.filename).catch(() => fileId));
  }
  return names.get(fileId);
}

async function fileBlob(fileId) {
  const response = await fetch(`/v1/files/${fileId}/content`, { headers: authHeaders() });
  if (!response.ok) throw new Error(`file ${fileId}: ${response.status}`);
  return response.blob();
}

export async function download(fileId) {
  const [blob, name] = await Promise.all([fileBlob(fileId), fileName(fileId)]);
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  toast(`Downloaded ${name} (${blob.size} bytes)`);
}

export function fileLink(fileId, text) {
  const a = h("a", { class: "file-link", href: `/v1/files/${fileId}/content`, "data-file-id": fileId }, text || fileId);
  if (!text) fileName(fileId).then((name) => { a.textContent = name; });
  return a;
}

export function fileImage(fileId, cls = "") {
  const img = h("img", { class: cls, alt: fileId, "data-file-id": fileId });
  fileBlob(fileId).then((blob) => { img.src = URL.createObjectURL(blob); }).catch(() => { img.alt = `${fileId} (not found)`; });
  return img;
}

// Any other API path's bytes (a container's file, a code_interpreter image): fetched with the key.
async function urlBlob(url) {
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error.message; } catch (_e) { /* not JSON */ }
    throw new Error(`${url}: ${response.status} ${message}`);
  }
  return response.blob();
}

export async function downloadUrl(url, name) {
  const blob = await urlBlob(url);
  const href = URL.createObjectURL(blob);
  const a = h("a", { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
  toast(`Downloaded ${name} (${blob.size} bytes)`);
}

export const containerFileUrl = (containerId, fileId) => `/v1/containers/${containerId}/files/${fileId}/content`;

export function containerFileLink(containerId, fileId, text) {
  const url = containerFileUrl(containerId, fileId);
  return h("a", { class: "file-link container-file", href: url, "data-url": url, "data-name": text || fileId }, text || fileId);
}

export function urlImage(url, cls = "") {
  const img = h("img", { class: cls, alt: url, "data-url": url });
  urlBlob(url).then((blob) => { img.src = URL.createObjectURL(blob); }).catch((e) => { img.alt = String(e.message || e); });
  return img;
}

// Clicks on any file link download it with the key (a plain link could not send the header).
document.addEventListener("click", (event) => {
  const a = event.target.closest("a[data-file-id], a[data-url]");
  if (!a) return;
  event.preventDefault();
  const done = a.dataset.fileId ? download(a.dataset.fileId) : downloadUrl(a.dataset.url, a.dataset.name);
  done.catch((e) => toast(String(e.message || e)));
});

// -- markdown ---------------------------------------------------------------------------------------
const escape = (s) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const TOKEN = /\u0001(\d+)\u0002/g;

function annotationHTML(annotation, number, text) {
  if (annotation.type === "file_citation") {
    const id = escape(annotation.file_citation.file_id);
    return `<a class="citation" href="/v1/files/${id}/content" data-file-id="${id}" title="${escape(annotation.text)}">[${number}]</a>`;
  }
  if (annotation.type === "container_file_citation") {  // the Responses API's file the code wrote
    const url = escape(`/v1/containers/${annotation.container_id}/files/${annotation.file_id}/content`);
    const name = escape(annotation.filename || annotation.file_id);
    return `<a class="file-link container-citation" href="${url}" data-url="${url}" data-name="${name}">${escape(text || name)}</a>`;
  }
  if (annotation.type === "url_citation") {
    const url = escape(annotation.url || "");
    return /^https?:/.test(annotation.url || "") ? `<a href="${url}" target="_blank" rel="noopener">${escape(text || annotation.title || url)}</a>` : escape(text || "");
  }
  if (annotation.type === "file_path") {
    const id = escape(annotation.file_path.file_id);
    return `<a class="file-link" href="/v1/files/${id}/content" data-file-id="${id}">${escape(text || annotation.text.split("/").pop())}</a>`;
  }
  return escape(annotation.text || "");
}

function inline(text, annotations, numbers) {
  let out = text.replace(/`([^`]+)`/g, (_m, code) => `<code>${code}</code>`)
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>");
  out = out.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label, url) => {
    const token = /^\u0001(\d+)\u0002$/.exec(url);
    if (token) return annotationHTML(annotations[+token[1]], numbers[+token[1]], label);
    return /^(https?:|mailto:)/.test(url) ? `<a href="${url}" target="_blank" rel="noopener">${label}</a>` : label;
  });
  return out.replace(TOKEN, (_m, i) => annotationHTML(annotations[+i], numbers[+i]));
}

function blocks(text, annotations, numbers) {
  const html = [];
  let list = false;
  for (const para of text.split(/\n{2,}/)) {
    const lines = para.split("\n");
    if (lines.every((l) => /^\s*([-*]|\d+\.)\s+/.test(l))) {
      html.push("<ul>" + lines.map((l) => `<li>${inline(l.replace(/^\s*([-*]|\d+\.)\s+/, ""), annotations, numbers)}</li>`).join("") + "</ul>");
      list = true;
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(lines[0]);
    if (heading && lines.length === 1) { html.push(`<h4>${inline(heading[2], annotations, numbers)}</h4>`); continue; }
    html.push(`<p>${lines.map((l) => inline(l, annotations, numbers)).join("<br>")}</p>`);
  }
  return html.join("") + (list ? "" : "");
}

// Markdown (paragraphs, lists, headings, code, emphasis, links) with the message's annotations placed
// over exactly their characters (start_index/end_index count code points, as Python does).
export function markdown(text, annotations = []) {
  const chars = Array.from(text || "");
  // A Responses API file_citation marks one place (`index`): a citation inserted there.
  annotations = annotations.map((a) => (a.type === "file_citation" && a.index !== undefined && a.start_index === undefined
    ? { ...a, start_index: a.index, end_index: a.index, text: a.filename || "", file_citation: { file_id: a.file_id }, at: true } : a));
  const order = annotations.map((a, i) => [a, i]).filter(([a]) => a.end_index > a.start_index || a.at)
    .sort((x, y) => y[0].start_index - x[0].start_index);
  const numbers = {};
  let n = 0;
  [...order].reverse().forEach(([a, i]) => { if (a.type === "file_citation") numbers[i] = ++n; });
  for (const [a, i] of order) chars.splice(a.start_index, a.end_index - a.start_index, `\u0001${i}\u0002`);
  const source = escape(chars.join(""));
  const parts = source.split(/```[a-zA-Z0-9_-]*\n?/);
  const html = parts.map((part, i) => (i % 2 ? `<pre><code>${part.replace(TOKEN, "")}</code></pre>` : blocks(part, annotations, numbers)));
  return h("div", { class: "markdown", html: html.join("") });
}

// -- live events: server-sent events read with fetch (EventSource cannot send the key) ----------------
export async function followEvents(path, onEvent, signal) {
  const response = await fetch(path, { headers: authHeaders(), signal });
  if (!response.ok) throw new Error(`events: ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message", data = "";
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (!frame.startsWith(":")) onEvent(name, data);
    }
  }
}
