// Atrium's web console: the plugins and their numbers from GET /api/plugins, and the plugin folder's
// files that do not run (refused, failed, waiting…) from GET /api/deploys, refreshed every 2 s;
// the buttons POST /api/plugins/NAME:ACTION with the API token (kept in this browser's localStorage).
"use strict";
const tokenInput = document.getElementById("token");
const rows = document.querySelector("#plugins tbody");
const status = document.getElementById("status");
const summary = document.getElementById("summary");
const folder = document.getElementById("folder");
const files = document.querySelector("#files tbody");
tokenInput.value = localStorage.getItem("atrium.token") || "";
tokenInput.addEventListener("change", () => localStorage.setItem("atrium.token", tokenInput.value.trim()));

function millis(v) {
  if (v === null || v === undefined) return "–";
  return v < 1 ? (v * 1000).toFixed(1) + " µs" : v.toFixed(2) + " ms";
}

function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  td.textContent = text;
  return td;
}

function stateCell(state) {
  const badge = document.createElement("span");
  badge.className = "state " + state;
  badge.textContent = state;
  const td = cell("");
  td.appendChild(badge);
  return td;
}

function button(plugin, action) {
  const b = document.createElement("button");
  b.textContent = action[0].toUpperCase() + action.slice(1);
  b.dataset.plugin = plugin;
  b.dataset.action = action;
  b.addEventListener("click", () => steer(plugin, action));
  return b;
}

function render(plugins) {
  rows.replaceChildren(...plugins.map(p => {
    const tr = document.createElement("tr");
    tr.dataset.plugin = p.name;
    const actions = cell("");
    actions.appendChild(button(p.name, "reload"));
    actions.appendChild(button(p.name, p.state === "stopped" ? "start" : "stop"));
    tr.append(cell(p.name), cell(p.version), cell(p.contract.split(".").pop()), cell(p.transport), stateCell(p.state),
      cell(p.calls ?? 0, "num"), cell(p.errors ?? 0, "num"), cell(millis(p.p50Ms), "num"), cell(millis(p.p99Ms), "num"),
      cell(p.problem || "", "problem"), actions);
    return tr;
  }));
  const active = plugins.filter(p => p.state === "active").length;
  summary.textContent = plugins.length + " plugins, " + active + " active";
}

function renderFiles(all) {
  const troubled = all.filter(f => f.state !== "active" && f.state !== "ignored");
  files.replaceChildren(...troubled.map(f => {
    const tr = document.createElement("tr");
    tr.dataset.file = f.file;
    tr.append(cell(f.file), cell(f.kind), stateCell(f.state), cell(f.detail, "problem"));
    return tr;
  }));
  folder.hidden = troubled.length === 0;
}

async function refresh() {
  try {
    const [plugins, deploys] = await Promise.all([fetch("/api/plugins", {cache: "no-store"}), fetch("/api/deploys", {cache: "no-store"})]);
    if (!plugins.ok) throw new Error("GET /api/plugins: " + plugins.status);
    if (!deploys.ok) throw new Error("GET /api/deploys: " + deploys.status);
    render(await plugins.json());
    renderFiles(await deploys.json());
  } catch (e) {
    say("cannot reach the server: " + e.message, true);
  }
}

function say(text, error) {
  status.textContent = text;
  status.className = error ? "error" : "";
}

async function steer(plugin, action) {
  say(action + " " + plugin + "…");
  const response = await fetch("/api/plugins/" + encodeURIComponent(plugin) + ":" + action, {
    method: "POST",
    headers: {"Authorization": "Bearer " + tokenInput.value.trim()}
  });
  const body = await response.json();
  if (response.ok) {
    say(action + " " + plugin + ": " + body.state);
  } else {
    say(action + " " + plugin + " failed (" + response.status + "): " + body.error, true);
  }
  refresh();
}

refresh();
setInterval(refresh, 2000);
