// Orcastra's read-only web view: polls the leader's /api documents (the CLI's JSON, doc/cli.md)
// every 2 s and draws nodes, anchors and events. Text from the cluster is only ever set with
// textContent, never parsed as HTML.
"use strict";

const REFRESH_MS = 2000;

// h("div", {class: "x", "data-node": "w1"}, child, "text", ...): a DOM element.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "style") el.style.cssText = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
}

function pct(x) { return x === null || x === undefined ? "–" : x.toFixed(1) + "%"; }

function level(percent, warn, bad) {
  if (percent === null || percent === undefined) return "na";
  return percent >= bad ? "bad" : percent >= warn ? "warn" : "";
}

function bar(percent, cls) {
  const width = Math.max(0, Math.min(100, percent || 0));
  return h("div", {class: "bar " + (cls || "")}, h("span", {style: "width:" + width + "%"}));
}

const DEP_CLASS = {
  "colocated": "good", "converging": "pending", "following": "pending",
  "waiting-for-anchor": "pending", "misplaced": "bad", "no-constraint": "bad",
  "scaled-to-zero": "idle", "missing": "idle",
};
const ANCHOR_CLASS = {"running": "good", "restarting": "pending", "down": "bad", "missing": "bad"};

function anchorViolated(anchor) {
  if (anchor.state !== "running") return true;
  return (anchor.dependents || []).some(
      d => !["colocated", "scaled-to-zero", "missing"].includes(d.state));
}

function stat(label, value, sub, cls) {
  return h("div", {class: "stat " + (cls || "")},
           h("div", {class: "label"}, label),
           h("div", {class: "value"}, value, sub ? h("small", {}, " " + sub) : null));
}

function drawSummary(status) {
  const s = document.getElementById("summary");
  const nodes = status.nodes || {};
  const agents = status.agents || {};
  const anchors = status.anchors;
  const docker = status.docker || {};
  s.replaceChildren(
      stat("Active leader", status.leader ? status.leader.hostname : "none",
           status.leader ? "term " + status.leader.term : "", status.leader ? "" : "bad"),
      stat("Nodes ready", String(nodes.ready ?? "–"), "of " + (nodes.total ?? "–"),
           nodes.ready === nodes.total ? "ok" : "warn"),
      stat("Agents connected", String(agents.connected ?? "–"), "of " + (agents.expected ?? "–"),
           agents.connected === agents.expected ? "ok" : "warn"),
      anchors ? stat("Anchors ok", anchors.ok + "/" + anchors.total,
                     anchors.violated ? anchors.violated + " violated" : "none violated",
                     anchors.violated > 0 ? "bad" : "ok")
              : stat("Anchors", "–", "no cycle yet", "warn"),
      stat("Swarm", docker.ok ? "in sync" : "stale",
           docker.node_list_age_seconds !== null && docker.node_list_age_seconds !== undefined
               ? "read " + Math.round(docker.node_list_age_seconds) + " s ago" : "",
           docker.ok ? "ok" : "bad"));
  const leader = document.getElementById("leader");
  if (status.leader) {
    leader.replaceChildren("Active leader ", h("b", {}, status.leader.hostname), " · term ",
                           h("span", {class: "term"}, String(status.leader.term)),
                           status.swarm_raft_leader
                               ? " · Swarm raft leader " + status.swarm_raft_leader : "");
  } else {
    leader.replaceChildren("No active leader known");
  }
  const by = status.answered_by || {};
  document.getElementById("answered-by").textContent =
      "on " + (by.hostname || "?") + (by.active ? " (active)" : " (standby)");
}

// Which anchors and dependents run on each node (hostname -> [{kind, name, bad}]).
function placements(anchors) {
  const here = {};
  const add = (node, item) => (here[node] = here[node] || []).push(item);
  for (const a of anchors) {
    for (const n of a.nodes || []) add(n, {kind: "anchor", name: a.name, bad: false});
    for (const d of a.dependents || []) {
      for (const n of d.nodes || []) {
        add(n, {kind: "dep", name: d.name, anchor: a.name, bad: DEP_CLASS[d.state] === "bad"});
      }
    }
  }
  return here;
}

function drawNodes(nodes, status, anchors) {
  const here = placements(anchors);
  const activeLeader = status.leader ? status.leader.hostname : null;
  const cards = nodes.map(n => {
    const down = n.state !== "ready";
    const agent = n.agent || {};
    const mem = n.memory || {};
    const psi = n.pressure || {};
    const used = mem.used_percent;
    const badges = [h("span", {class: "badge"}, n.role)];
    if (n.hostname === activeLeader) badges.push(h("span", {class: "badge leader"}, "orcastra leader"));
    if (n.manager && n.manager.leader) badges.push(h("span", {class: "badge raft"}, "raft leader"));
    if (n.availability && n.availability !== "active") {
      badges.push(h("span", {class: "badge bad"}, n.availability));
    }
    if (down) badges.push(h("span", {class: "badge bad"}, n.state));
    else if (!agent.connected) badges.push(h("span", {class: "badge bad"}, "agent silent"));
    const c = n.containers;
    const items = here[n.hostname] || [];
    return h("div", {class: "node" + (down ? " down" : ""), "data-node": n.hostname},
        h("div", {class: "node-head"},
          h("span", {class: "dot " + (down ? "bad" : agent.connected ? "" : "warn")}),
          h("span", {class: "name"}, n.hostname), badges),
        h("div", {class: "metric"},
          h("span", {class: "mlabel"}, "Memory"), bar(used, level(used, 75, 90)),
          h("span", {class: "mval"}, mem.total_bytes
              ? bytes(mem.used_bytes) + " / " + bytes(mem.total_bytes) + " · " + pct(used)
              : "no report yet")),
        h("div", {class: "metric"},
          h("span", {class: "mlabel", title: "memory pressure (PSI), 10 s average"}, "Pressure"),
          bar(psi.present ? psi.some_avg10 : 0, "psi" + (psi.present ? "" : " na")),
          h("span", {class: "mval"}, psi.present
              ? "some " + pct(psi.some_avg10) + " · full " + pct(psi.full_avg10)
              : "PSI not available")),
        h("div", {class: "facts"},
          h("span", {}, "CPU ", h("b", {}, pct(n.cpu_percent))),
          h("span", {}, "load ", h("b", {}, n.load ? n.load.avg1.toFixed(2) : "–")),
          c ? h("span", {}, h("b", {}, c.running + "/" + c.total), " running") : null,
          c && c.unhealthy ? h("span", {class: "kind-bad"}, c.unhealthy + " unhealthy") : null),
        h("div", {class: "here"}, items.length
            ? items.map(i => h("span", {class: "chip is-" + i.kind + (i.bad ? " bad" : ""),
                                         title: i.kind === "anchor" ? "anchor"
                                                                    : "dependent of " + i.anchor},
                               (i.kind === "anchor" ? "⚓ " : "↳ ") + i.name))
            : h("span", {class: "empty"}, "no anchor or dependent here")));
  });
  document.getElementById("nodes").replaceChildren(...cards);
  const ready = nodes.filter(n => n.state === "ready").length;
  document.getElementById("nodes-hint").textContent = nodes.length + " nodes, " + ready + " ready";
}

function drawAnchors(doc) {
  const box = document.getElementById("anchors");
  const hint = document.getElementById("anchors-hint");
  if (!doc.available) {
    box.replaceChildren(h("div", {class: "empty-note"}, doc.reason || "no anchors yet"));
    hint.textContent = "";
    return;
  }
  const anchors = doc.anchors || [];
  if (anchors.length === 0) {
    box.replaceChildren(h("div", {class: "empty-note"},
                          "No anchor is configured (swarm.yml has no dependencies)."));
  } else {
    box.replaceChildren(...anchors.map(a => {
      const violated = anchorViolated(a);
      const pending = !violated && a.state !== "running";
      return h("div", {class: "anchor" + (violated ? " violated" : pending ? " pending" : ""),
                       "data-anchor": a.name, "data-violated": violated ? "true" : "false"},
          h("div", {class: "anchor-head"},
            h("span", {class: "name"}, "⚓ " + a.name),
            h("span", {class: "svc"}, a.service),
            h("span", {class: "state " + (ANCHOR_CLASS[a.state] || "idle")}, a.state),
            h("span", {class: "where"}, "on ",
              h("span", {class: "nodechip", "data-anchor-nodes": (a.nodes || []).join(",")},
                (a.nodes || []).join(", ") || "no node"))),
          h("ul", {class: "deps"}, (a.dependents || []).map(d =>
              h("li", {"data-dependent": d.name, "data-state": d.state,
                       "data-nodes": (d.nodes || []).join(",")},
                h("span", {class: "dname"}, d.name),
                h("span", {class: "detail", title: d.detail || ""},
                  "on ", h("span", {class: "nodechip"}, (d.nodes || []).join(", ") || "no node"),
                  d.retry_in_s !== null && d.retry_in_s !== undefined
                      ? " · retry in " + d.retry_in_s + " s" : "",
                  d.attempts ? " · " + d.attempts + " restarts" : ""),
                h("span", {class: "state " + (DEP_CLASS[d.state] || "idle")}, d.state)))));
    }));
  }
  const violated = anchors.filter(anchorViolated).length;
  hint.textContent = anchors.length + " anchors, " + violated + " violated" +
                     (doc.dry_run ? " · dry run" : "") + (doc.dependents_paused ? " · paused" : "");
}

function drawEvents(status) {
  const events = (status.recent_events || []).slice().reverse();
  const names = {};
  for (const n of window.lastNodes || []) names[n.id] = n.hostname;
  document.getElementById("events").replaceChildren(...events.map(e => {
    const kind = e.kind || "";
    const cls = /fail|refused|die|oom|gave_up|violat|fenced|skipped/.test(kind) ? "kind-bad"
              : /restarted|changed|loaded|active|colocated/.test(kind) ? "kind-good" : "";
    return h("tr", {},
        h("td", {class: "t"}, new Date(e.ts_ms).toLocaleTimeString()),
        h("td", {}, names[e.node_id] || (e.node_id || "").slice(0, 12)),
        h("td", {class: "k " + cls}, kind),
        h("td", {}, (e.subject || "").slice(0, 40)),
        h("td", {class: "m"}, e.message || ""));
  }));
}

async function getJson(path) {
  const response = await fetch(path, {cache: "no-store", credentials: "same-origin"});
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

let lastOk = 0;

async function refresh() {
  const banner = document.getElementById("banner");
  try {
    const [status, nodes, anchors] = await Promise.all(
        [getJson("/api/status"), getJson("/api/nodes"), getJson("/api/anchors")]);
    window.lastNodes = nodes;
    drawSummary(status);
    drawNodes(nodes, status, anchors.available ? anchors.anchors || [] : []);
    drawAnchors(anchors);
    drawEvents(status);
    lastOk = Date.now();
    banner.hidden = true;
    document.body.dataset.loaded = "true";
  } catch (err) {
    banner.textContent = "Cannot refresh: " + err.message + " (showing the last data)";
    banner.hidden = false;
  }
}

function tick() {
  const live = document.getElementById("live");
  const age = lastOk ? Math.round((Date.now() - lastOk) / 1000) : null;
  document.getElementById("updated").textContent =
      age === null ? "connecting…" : age <= 1 ? "live" : "updated " + age + " s ago";
  live.classList.toggle("stale", age === null || age > 10);
}

refresh();
setInterval(refresh, REFRESH_MS);
setInterval(tick, 500);
