// Atrium's web console: the plugins and their numbers from GET /api/plugins, and the plugin folder's
// files that do not run (refused, failed, waiting…) from GET /api/deploys, refreshed every 2 s;
// the buttons POST /api/plugins/NAME:ACTION with the API token (kept in this browser's localStorage).
// Rows are keyed by plugin and file and updated in place, and a cell's text is only set when it
// changed: a refresh never replaces the button under the pointer (a click whose press and release
// land on different elements is lost), the focused element or the selected text.
// No inline script or style and no eval, so the page runs under a strict Content-Security-Policy.
"use strict";
const REFRESH_MS = 2000;
const TIMEOUT_MS = 5000; // a server that accepts but never answers is as unreachable as one that refuses
const tokenInput = document.getElementById("token");
const status = document.getElementById("status");
const summary = document.getElementById("summary");
const stale = document.getElementById("stale");
const updated = document.getElementById("updated");
const folder = document.getElementById("folder");
// ?transport=ID lists the plugins of one transport (each row's transport links there)
const onlyTransport = new URLSearchParams(location.search).get("transport");
const pluginsPath = "/api/plugins" + (onlyTransport === null ? "" : "?transport=" + encodeURIComponent(onlyTransport));
if (onlyTransport !== null) {
  document.getElementById("filter-id").textContent = onlyTransport;
  document.getElementById("filter").hidden = false;
}
tokenInput.value = localStorage.getItem("atrium.token") || "";
tokenInput.addEventListener("change", () => localStorage.setItem("atrium.token", tokenInput.value.trim()));

function millis(v) {
  if (v === null || v === undefined) return "–";
  return v < 1 ? (v * 1000).toFixed(1) + " µs" : v.toFixed(2) + " ms";
}

function clock(date) {
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map(n => String(n).padStart(2, "0")).join(":");
}

/** Sets a node's text only when it differs: replacing a text node drops a selection inside it. */
function setText(node, text) {
  text = String(text);
  if (node.textContent !== text) node.textContent = text;
}

function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/**
 * A table body whose rows are keyed (the key is also the row's data-KEY attribute): a row is made
 * once per key, then filled in place on every refresh; rows whose key went away are removed, and a
 * row is moved only when the order changed. Each cell gets its column's header as data-label, which
 * the narrow layout shows.
 */
class KeyedRows {
  constructor(table, key, keyOf, make, fill) {
    this.body = table.tBodies[0];
    this.labels = [...table.tHead.rows[0].cells].map(th => th.textContent);
    this.key = key;
    this.keyOf = keyOf;
    this.make = make;
    this.fill = fill;
    this.rows = new Map();
  }

  update(items) {
    const keep = new Set();
    let previous = null;
    for (const item of items) {
      const k = this.keyOf(item);
      keep.add(k);
      let tr = this.rows.get(k);
      if (!tr) {
        tr = document.createElement("tr");
        tr.dataset[this.key] = k;
        this.labels.forEach(label => {
          const td = document.createElement("td");
          td.dataset.label = label;
          tr.appendChild(td);
        });
        this.make(tr, item);
        this.rows.set(k, tr);
      }
      this.fill(tr, item);
      const expected = previous ? previous.nextSibling : this.body.firstChild;
      if (tr !== expected) this.body.insertBefore(tr, expected);
      previous = tr;
    }
    for (const [k, tr] of this.rows) {
      if (!keep.has(k)) {
        tr.remove();
        this.rows.delete(k);
      }
    }
  }
}

/** A state badge: one span per cell, its text and class updated in place. */
function fillState(td, state) {
  let badge = td.firstElementChild;
  if (!badge) {
    badge = document.createElement("span");
    td.appendChild(badge);
  }
  setAttr(badge, "class", "state " + state);
  setText(badge, state);
}

/** The action that changes a plugin's state: a running or restarting plugin stops, a stopped or failed one starts. */
function toggleFor(state) {
  return state === "active" || state === "starting" ? "stop" : "start";
}

function button(plugin, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.dataset.plugin = plugin;
  b.dataset.action = action;
  b.textContent = label(action);
  b.addEventListener("click", () => steer(b.dataset.plugin, b.dataset.action)); // read at click time: the toggle changes
  return b;
}

function label(action) {
  return action[0].toUpperCase() + action.slice(1);
}

/**
 * The problem now (why the plugin is failed or restarting) and the last crash or failure, which
 * stays after the plugin runs again; when the problem already says the same, only its time and kind.
 */
function fillProblem(td, p) {
  if (!td.firstElementChild) {
    const now = document.createElement("span");
    now.className = "now";
    const last = document.createElement("span");
    last.className = "last";
    td.append(now, last);
  }
  const [now, last] = td.children;
  const e = p.lastError;
  setText(now, p.problem || "");
  setText(last, !e ? "" : "last " + e.event + " " + clock(new Date(e.at))
    + (p.problem && p.problem.includes(e.reason) ? "" : ": " + e.reason));
  setAttr(last, "title", e ? e.at : "");
}

const NUM = [5, 6, 7, 8, 9, 10];
const plugins = new KeyedRows(document.getElementById("plugins"), "plugin", p => p.name, (tr, p) => {
  NUM.forEach(i => tr.cells[i].className = "num");
  tr.cells[3].append(document.createElement("a"));
  tr.cells[11].className = "problem";
  tr.cells[12].className = "actions";
  tr.cells[12].append(button(p.name, "reload"), button(p.name, toggleFor(p.state)));
}, (tr, p) => {
  const c = tr.cells;
  setText(c[0], p.name);
  setText(c[1], p.version);
  setText(c[2], p.contract.split(".").pop());
  setText(c[3].firstElementChild, p.transport);
  setAttr(c[3].firstElementChild, "href", "?transport=" + encodeURIComponent(p.transport));
  fillState(c[4], p.state);
  setText(c[5], p.calls ?? 0);
  setText(c[6], p.errors ?? 0);
  setText(c[7], millis(p.p50Ms));
  setText(c[8], millis(p.p99Ms));
  setText(c[9], p.crashes ?? 0);
  setText(c[10], p.restarts ?? 0);
  fillProblem(c[11], p);
  const toggle = c[12].lastElementChild;
  const action = toggleFor(p.state);
  if (toggle.dataset.action !== action) {
    toggle.dataset.action = action;
    toggle.textContent = label(action);
  }
});

const files = new KeyedRows(document.getElementById("files"), "file", f => f.file, tr => {
  tr.cells[3].className = "problem";
}, (tr, f) => {
  setText(tr.cells[0], f.file);
  setText(tr.cells[1], f.kind);
  fillState(tr.cells[2], f.state);
  setText(tr.cells[3], f.detail || "");
});

function render(all, deploys) {
  plugins.update(all);
  const active = all.filter(p => p.state === "active").length;
  const failed = all.filter(p => p.state === "failed").length;
  setText(summary, all.length + " plugins, " + active + " active" + (failed ? ", " + failed + " failed" : ""));
  const troubled = deploys.filter(f => f.state !== "active" && f.state !== "ignored");
  files.update(troubled);
  folder.hidden = troubled.length === 0;
}

// ------------------------------------------------------------------ refreshing, and when it cannot

let downSince = null; // when the first refresh in a row failed
let lastUpdate = null;
let requested = 0, rendered = 0; // a refresh answered after a later one is not shown

async function getJson(path) {
  const response = await fetch(path, {cache: "no-store", signal: AbortSignal.timeout(TIMEOUT_MS)});
  if (!response.ok) throw new Error("GET " + path + " answered " + response.status);
  return response.json();
}

async function refresh() {
  const mine = ++requested;
  try {
    const [all, deploys] = await Promise.all([getJson(pluginsPath), getJson("/api/deploys")]);
    if (mine < rendered) return;
    rendered = mine;
    render(all, deploys);
    reachable();
  } catch (e) {
    if (mine < rendered) return;
    unreachable(e);
  }
}

function reachable() {
  downSince = null;
  lastUpdate = new Date();
  stale.hidden = true;
  document.body.classList.remove("stale");
  updated.dateTime = lastUpdate.toISOString();
  setText(updated, clock(lastUpdate));
  updated.parentElement.hidden = false;
  if (status.dataset.unreachable) say(""); // an action that failed for want of the server: it is back
}

function unreachable(e) {
  downSince = downSince || new Date();
  const why = e && e.name === "TimeoutError" ? "no answer within " + TIMEOUT_MS / 1000 + " s" : e.message;
  setText(stale, "Cannot reach the server since " + clock(downSince) + " (" + why + "). "
    + (lastUpdate ? "What is shown is from " + clock(lastUpdate) + "." : "Nothing could be loaded yet."));
  stale.hidden = false;
  document.body.classList.add("stale");
}

function say(text, error, unreachable) {
  setText(status, text);
  status.className = error ? "error" : "";
  if (unreachable) status.dataset.unreachable = "true"; else delete status.dataset.unreachable;
}

async function steer(plugin, action) {
  say(action + " " + plugin + "…");
  let response, body;
  try {
    response = await fetch("/api/plugins/" + encodeURIComponent(plugin) + ":" + action, {
      method: "POST",
      headers: {"Authorization": "Bearer " + tokenInput.value.trim()}
    });
  } catch (e) {
    say(action + " " + plugin + " failed: cannot reach the server (" + e.message + ")", true, true);
    refresh();
    return;
  }
  try {
    body = await response.json();
  } catch (e) {
    body = {error: "the answer is not JSON"};
  }
  if (response.ok) {
    say(action + " " + plugin + ": " + body.state);
  } else {
    say(action + " " + plugin + " failed (" + response.status + "): " + body.error, true);
  }
  refresh();
}

// the next refresh is planned when one ends, so a slow server never has refreshes pile up
async function loop() {
  await refresh();
  setTimeout(loop, REFRESH_MS);
}
loop();
