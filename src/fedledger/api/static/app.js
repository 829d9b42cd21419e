// fedledger dashboard: fetches the REST API, draws tables and inline-SVG charts, and follows
// /ws/events to refresh the selected task when the chain changes. No libraries, no build step.
"use strict";

const TOKEN = 1e18;
const PALETTE = ["#2f5bd3", "#1a7f37", "#9a6700", "#8250df", "#0a7ea4", "#bf3989", "#57606a", "#d1242f",
                 "#116329", "#953800", "#0550ae", "#6e7781"];
const state = { health: null, tasks: [], selected: null, refreshTimer: null, events: [], loadedBlock: -1 };

function $(sel) { return document.querySelector(sel); }
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}
function short(addr) { return addr && addr.length > 14 ? addr.slice(0, 8) + "…" + addr.slice(-4) : (addr || ""); }
function addrEl(addr) { return el("span", { class: "mono", title: addr }, short(addr)); }
function tokens(x) {
  if (x === null || x === undefined) return "–";
  const v = Number(x) / TOKEN;
  if (v !== 0 && Math.abs(v) < 0.01) return v.toExponential(2);
  return v.toLocaleString("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 });
}
function badge(text) { return el("span", { class: "badge b-" + text.replace(/ /g, "-") }, text); }
function card(k, v, title) { return el("div", { class: "card", title: title || "" }, el("div", { class: "k" }, k), el("div", { class: "v" }, v)); }
function fill(tbody, rows) { tbody.replaceChildren(...rows); }
function td(content, cls) { return el("td", cls ? { class: cls } : {}, content); }

async function getJSON(path) {
  const res = await fetch(path);
  if (!res.ok) { let d = res.statusText; try { d = (await res.json()).detail; } catch (e) {} throw new Error(path + ": " + d); }
  return res.json();
}

// ---------------------------------------------------------------- SVG line chart
const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const n = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}
function niceTicks(lo, hi, n) {
  if (hi === lo) { hi = lo + 1; lo = lo - (lo === 0 ? 0 : 1); }
  const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw);
  const out = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(+t.toFixed(10));
  return out;
}
// series: [{name, values: [number|null], color, dash}], x values are indices + xStart.
function lineChart(container, series, opts) {
  const W = 600, H = 300, L = 58, R = 170, T = 12, B = 38;
  const all = series.flatMap(s => s.values.filter(v => v !== null && v !== undefined && isFinite(v)));
  container.replaceChildren();
  if (!all.length) { container.append(el("p", { class: "muted" }, "no data yet")); return; }
  let lo = opts.yMin !== undefined ? opts.yMin : Math.min(...all), hi = opts.yMax !== undefined ? opts.yMax : Math.max(...all);
  const ticks = niceTicks(lo, hi, 5);
  lo = Math.min(lo, ticks[0]); hi = Math.max(hi, ticks[ticks.length - 1]);
  const n = Math.max(...series.map(s => s.values.length));
  const xs = i => L + (n <= 1 ? (W - L - R) / 2 : i * (W - L - R) / (n - 1));
  const ys = v => T + (H - T - B) * (1 - (v - lo) / (hi - lo || 1));
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.label || "chart", class: opts.cls || "" });
  for (const t of ticks) {
    root.append(svg("line", { x1: L, x2: W - R, y1: ys(t), y2: ys(t), stroke: "#e5e8ee" }));
    root.append(svg("text", { x: L - 6, y: ys(t) + 4, "text-anchor": "end", "font-size": 11, fill: "#667085" }, opts.yFmt ? opts.yFmt(t) : t));
  }
  for (let i = 0; i < n; i++) {
    root.append(svg("line", { x1: xs(i), x2: xs(i), y1: H - B, y2: H - B + 4, stroke: "#98a2b3" }));
    root.append(svg("text", { x: xs(i), y: H - B + 16, "text-anchor": "middle", "font-size": 11, fill: "#667085" }, opts.xLabels ? opts.xLabels[i] : i));
  }
  root.append(svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#98a2b3" }));
  root.append(svg("line", { x1: L, x2: L, y1: T, y2: H - B, stroke: "#98a2b3" }));
  root.append(svg("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", "font-size": 12, fill: "#344054" }, opts.xTitle || ""));
  root.append(svg("text", { x: 12, y: (T + H - B) / 2, "text-anchor": "middle", "font-size": 12, fill: "#344054",
                            transform: `rotate(-90 12 ${(T + H - B) / 2})` }, opts.yTitle || ""));
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (v === null || v === undefined) ? null : [xs(i), ys(v)]).filter(p => p);
    if (pts.length > 1) root.append(svg("polyline", { points: pts.map(p => p.join(",")).join(" "), fill: "none", stroke: s.color,
                                                         "stroke-width": 2, "stroke-dasharray": s.dash ? "6 4" : "" }));
    for (const p of pts) root.append(svg("circle", { cx: p[0], cy: p[1], r: 3, fill: s.color }));
    const ly = T + 10 + k * 16;
    if (ly < H - B) {
      root.append(svg("line", { x1: W - R + 10, x2: W - R + 30, y1: ly - 4, y2: ly - 4, stroke: s.color, "stroke-width": 2,
                                "stroke-dasharray": s.dash ? "6 4" : "" }));
      root.append(svg("text", { x: W - R + 34, y: ly, "font-size": 10, fill: "#344054" }, s.name.length > 26 ? s.name.slice(0, 25) + "…" : s.name));
    }
  });
  container.append(root);
}

// ---------------------------------------------------------------- tasks
function renderTasks() {
  const rows = state.tasks.map(t => {
    const tr = el("tr", { "data-address": t.address, class: t.address === state.selected ? "selected" : "" },
      td(el("span", { class: "mono" }, t.address)), td(t.kind), td(badgeStatus(t.status)), td(tokens(t.reward_pool), "num"),
      td(tokens(t.held), "num"), td(t.participants, "num"),
      td(t.rounds === null ? "–" : `${t.rounds_started} / ${t.rounds}`, "num"));
    tr.addEventListener("click", () => selectTask(t.address));
    return tr;
  });
  fill($("#tasks-table tbody"), rows);
  $("#tasks-section").hidden = false;
}
function badgeStatus(s) { return el("span", { class: "badge b-" + ({ finished: "accepted", training: "committed", joining: "pending", active: "committed" }[s] || "none") }, s); }

async function loadTasks() {
  state.tasks = await getJSON("/api/tasks");
  if (!state.selected || !state.tasks.some(t => t.address === state.selected)) {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("task");
    const pick = state.tasks.find(t => t.address.toLowerCase() === (fromHash || "").toLowerCase())
      || state.tasks.find(t => t.kind === "alliance") || state.tasks[0];
    state.selected = pick ? pick.address : null;
  }
  renderTasks();
  if (state.selected) await loadTask();
}
async function selectTask(address) {
  state.selected = address;
  history.replaceState(null, "", "#task=" + address);
  renderTasks();
  await loadTask();
}

async function loadTask() {
  const address = state.selected;
  const detail = await getJSON("/api/tasks/" + address);
  $("#task-section").hidden = false;
  $("#task-address").textContent = address;
  const cards = [card("kind", detail.kind), card("status", detail.status), card("reward pool", tokens(detail.reward_pool)),
                 card("held", tokens(detail.held)), card("participants", detail.participants), card("creator", short(detail.creator), detail.creator)];
  if (detail.kind === "alliance") {
    cards.push(card("rounds", `${detail.rounds_started} / ${detail.rounds}`), card("global model", short(detail.global_model_hash), detail.global_model_hash));
  } else {
    cards.push(card("phase", detail.phase), card("winner", detail.winner === null ? "–" : "#" + detail.winner));
  }
  $("#task-cards").replaceChildren(...cards);
  const alliance = detail.kind === "alliance";
  $("#alliance-detail").hidden = !alliance;
  $("#arena-detail").replaceChildren();
  if (!alliance) { renderArena(detail); return; }
  fill($("#participants-table tbody"), detail.participant_list.map(p => el("tr", {},
    td(p.index, "num"), td(addrEl(p.address)), td(tokens(p.stake), "num"), td(tokens(p.claimable), "num"),
    td(p.accepted_proposals, "num"), td(p.majority_votes, "num"))));
  const n = Math.max(0, ...detail.balances.map(b => b.values.length));
  lineChart($("#chain-balance-chart"), detail.balances.map((b, i) => ({ name: short(b.address), values: b.values.map(v => v / TOKEN), color: PALETTE[i % PALETTE.length] })),
            { xTitle: "after round", yTitle: "FML", xLabels: Array.from({ length: n }, (_, i) => i === 0 ? "join" : String(i - 1)), label: "chain balances" });
  const rounds = await getJSON(`/api/tasks/${address}/rounds`);
  renderRounds(rounds);
}

function renderRounds(rounds) {
  const rows = rounds.map(r => {
    const props = el("ul", { class: "plain" }, ...r.proposers.map(p => el("li", {},
      `#${p.index} `, addrEl(p.address), badge(p.verdict), p.submitted ? el("span", { class: "muted", title: "update " + p.update_hash }, ` ${p.num_samples} samples`) : null)));
    const proposerIndex = Object.fromEntries(r.proposers.map(p => [p.address, p.index]));
    const voters = el("ul", { class: "plain" }, ...r.voters.map(v => el("li", {}, addrEl(v.voter),
      v.voter in proposerIndex ? el("span", { class: "muted", title: "also proposer; its own bit does not count" }, ` (#${proposerIndex[v.voter]})`) : null,
      badge(v.state),
      v.accept_bitmap !== null ? el("span", { class: "mono muted", title: v.aggregate_hash || "" }, " accept=" + v.accept_bitmap.toString(2).padStart(r.proposers.length, "0").split("").reverse().join("")) : null)),
      ...(r.ejected || []).map(a => el("li", { title: "ejected earlier: stake below half of the required stake" }, addrEl(a), badge("ejected"))));
    const rewards = el("ul", { class: "plain" }, ...Object.entries(r.rewards).map(([a, x]) => el("li", {}, addrEl(a), el("span", { class: "pos" }, " +" + tokens(x)))));
    const slashes = el("ul", { class: "plain" }, ...r.slashes.map(s => el("li", {}, addrEl(s.account), el("span", { class: "neg" }, " −" + tokens(s.amount)), el("span", { class: "muted" }, " " + s.reason.replace(/_/g, " ")))));
    const model = r.global_model_hash ? el("span", { class: "mono", title: r.global_model_hash }, short(r.global_model_hash)) : badge("pending");
    return el("tr", { "data-round": r.round }, td(el("b", {}, r.round)), td(props), td(voters), td(rewards), td(slashes), td(model));
  });
  fill($("#rounds-table tbody"), rows);
}

function renderArena(d) {
  const table = el("table", { class: "grid", id: "arena-submissions" },
    el("thead", {}, el("tr", {}, ...["#", "trainer", "model", "score", "validators", "committed", "revealed", "settled"].map(h => el("th", {}, h)))),
    el("tbody", {}, ...d.submissions.map(s => el("tr", {}, td(s.index, "num"), td(addrEl(s.trainer)), td(el("span", { class: "mono", title: s.model_hash }, short(s.model_hash))),
      td(s.score === null ? "–" : (s.score / 1e6).toFixed(4), "num"), td(s.validators.length, "num"), td(s.committed, "num"), td(s.revealed, "num"), td(s.settled ? "yes" : "no")))));
  $("#arena-detail").replaceChildren(el("h3", {}, `Submissions (${d.trainers.length} trainers, ${d.validators.length} validators)`), table,
    d.derived_alliance ? el("p", {}, "derived Alliance task: ", el("span", { class: "mono" }, d.derived_alliance)) : "");
}

// ---------------------------------------------------------------- report
async function loadReport() {
  const r = await getJSON("/api/report");
  $("#report-section").hidden = false;
  $("#report-path").textContent = r.path;
  const cards = [card("kind", r.kind), card("task", short(r.task_address), r.task_address), card("rounds", r.rounds.length),
    card("final accuracy", r.final_accuracy === null ? "–" : (100 * r.final_accuracy).toFixed(1) + " %")];
  if (r.final_baseline_accuracy !== null) cards.push(card("FedAvg baseline", (100 * r.final_baseline_accuracy).toFixed(1) + " %"));
  cards.push(card("conservation", r.conservation_ok === null ? "–" : r.conservation_ok ? "holds" : "VIOLATED"),
             card("adversaries slashed", r.adversaries_slashed.length), card("honest slashed", r.honest_slashed.length));
  $("#report-cards").replaceChildren(...cards);
  const acc = [{ name: "fedledger", values: r.rounds.map(x => x.accuracy), color: PALETTE[0] }];
  if (r.baseline_accuracy.length) acc.push({ name: "plain FedAvg", values: r.baseline_accuracy, color: PALETTE[6], dash: true });
  if (r.honest_baseline_accuracy.length) acc.push({ name: "honest proposers only", values: r.honest_baseline_accuracy, color: PALETTE[1], dash: true });
  lineChart($("#accuracy-chart"), acc, { xTitle: "round", yTitle: "accuracy", yMin: 0, yMax: 1, label: "accuracy", cls: "accuracy",
                                         yFmt: v => (100 * v).toFixed(0) + "%", xLabels: r.rounds.map(x => String(x.round)) });
  const kinds = Object.fromEntries(r.participants.map(p => [p.address, p]));
  const addrs = r.participants.map(p => p.address).filter(a => r.rounds.some(x => a in x.balances));
  // Before round 0 every participant holds its stake (config.stake); draw it as the "join" point when known.
  const stake = typeof r.config.stake === "number" ? r.config.stake : null;
  let hc = 0;
  const series = addrs.map(a => ({
    name: (kinds[a].adversarial ? kinds[a].behaviour + " " : "") + short(a),
    values: (stake === null ? [] : [stake / TOKEN]).concat(r.rounds.map(x => (a in x.balances ? x.balances[a] / TOKEN : null))),
    color: kinds[a].adversarial ? "#d1242f" : PALETTE[[0, 1, 3, 4, 5, 8, 10, 2][hc++ % 8]], dash: kinds[a].adversarial,
  }));
  const balanceLabels = (stake === null ? [] : ["join"]).concat(r.rounds.map(x => String(x.round)));
  lineChart($("#balance-chart"), series, { xTitle: "after round", yTitle: "FML", label: "balances", xLabels: balanceLabels });
  if (!addrs.length) $("#balance-chart").replaceChildren(el("p", { class: "muted" }, "this report records no per-round balances (an Arena report: see net change below)"));
  const who = a => el("span", {}, addrEl(a), kinds[a] && kinds[a].adversarial ? el("span", { class: "neg" }, " " + kinds[a].behaviour) : null);
  fill($("#report-rounds tbody"), r.rounds.map(x => el("tr", { "data-round": x.round }, td(el("b", {}, x.round)),
    td(x.accuracy === null ? "–" : (100 * x.accuracy).toFixed(1) + " %", "num"),
    td(el("ul", { class: "plain" }, ...x.proposers.map(a => el("li", {}, who(a), badge(x.verdicts[a] || "none"))))),
    td(el("ul", { class: "plain" }, ...Object.entries(x.slashes).map(([a, v]) => el("li", {}, who(a), el("span", { class: "neg" }, " −" + tokens(v)))))),
    td(el("ul", { class: "plain" }, ...x.ejected.map(a => el("li", { title: "ejected in an earlier round: stake below half of the required stake" }, who(a))))),
    td(Object.keys(x.gas).length ? Object.values(x.gas).reduce((s, g) => s + g, 0).toLocaleString("en-US") : "–", "num"))));
  fill($("#report-participants tbody"), r.participants.map(p => el("tr", {}, td(addrEl(p.address)),
    td(p.adversarial ? el("span", { class: "neg" }, p.behaviour) : p.behaviour), td(tokens(p.initial_tokens), "num"), td(tokens(p.final_tokens), "num"),
    td(el("span", { class: p.net_change < 0 ? "neg" : "pos" }, p.net_change === null ? "–" : (p.net_change < 0 ? "" : "+") + tokens(p.net_change)), "num"))));
}

// ---------------------------------------------------------------- live events
// Replays the last RECENT_BLOCKS blocks' events, then follows new ones.
const RECENT_BLOCKS = 20;
function connectEvents(fromBlock) {
  const query = fromBlock === undefined ? "" : "?from_block=" + fromBlock;
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/events" + query);
  ws.onmessage = (msg) => {
    const m = JSON.parse(msg.data);
    if (m.type === "hello") { setConn(`block ${m.block} · live`); return; }
    if (m.type !== "event") return;
    state.events.unshift(m);
    state.events = state.events.slice(0, 50);
    $("#events-section").hidden = false;
    fill($("#events-table tbody"), state.events.map(e => el("tr", {}, td(e.block, "num"), td(addrEl(e.contract)), td(e.event),
      td(el("span", { class: "mono" }, Object.entries(e.args).map(([k, v]) => `${k}=${argText(v)}`).join(" "))))));
    setConn(`block ${m.block} · live`);
    if (m.block > state.loadedBlock) {  // a replayed event is already in what was loaded
      state.loadedBlock = m.block;
      clearTimeout(state.refreshTimer);
      state.refreshTimer = setTimeout(() => loadTasks().catch(showError), 300);
    }
  };
  ws.onclose = () => { setConn("event stream closed; retrying"); setTimeout(() => connectEvents(), 3000); };
}
function argText(v) {
  if (Array.isArray(v)) return "[" + v.map(argText).join(",") + "]";
  if (typeof v === "string") return v.length > 14 ? short(v) : v;
  if (typeof v === "number" && Math.abs(v) >= 1e15) return tokens(v) + "e18";
  return JSON.stringify(v);
}
function setConn(live) {
  const h = state.health, c = h && h.chain;
  $("#conn").textContent = (c ? `chain ${c.chain_id} @ ${c.endpoint} · factory ${short(c.factory)} · ` : "") + live;
}
function showError(err) {
  $("main").prepend(el("p", { class: "neg", id: "error" }, String(err.message || err)));
}

async function main() {
  state.health = await getJSON("/api/health");
  setConn(state.health.chain ? `block ${state.health.chain.block_number}` : "offline report view");
  const jobs = [];
  if (state.health.chain) {
    state.loadedBlock = state.health.chain.block_number;
    jobs.push(loadTasks());
    connectEvents(Math.max(0, state.health.chain.block_number - RECENT_BLOCKS));
  }
  if (state.health.report) jobs.push(loadReport());
  if (!jobs.length) $("#empty").hidden = false;
  await Promise.all(jobs);
}
main().catch(showError);
