// The wanwan dashboard: one snapshot, then each changed section over server-sent events.
// Read-only: nothing here sends anything but GET requests.
"use strict";

let T = {};            // the words of the viewer's language
let lang = "en";
let wake = "";
let events = null;
const plots = {};
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function num(x, digits = 0) {
  if (x === null || x === undefined) return "–";
  return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(x);
}

function ago(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60) return `${Math.round(seconds)} s ${T.ago}`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ${T.ago}`;
  return `${num(seconds / 3600, 1)} h ${T.ago}`;
}

function clock(ts) {
  return new Date(ts * 1000).toLocaleString(lang, { dateStyle: "short", timeStyle: "medium" });
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
}

// -- sections -------------------------------------------------------------------------------

function gauge(item, title, extra) {
  const level = item.level_pct;
  const status = item.plausible === false ? "implausible" : item.status;
  const pct = level === null ? 0 : Math.max(0, Math.min(100, level));
  const statusText = item.plausible === false ? T.implausible
    : `${T["status_" + item.status] || item.status} ${item.status === "fresh" || item.status === "stale" ? ago(item.age_s) : ""}`;
  return el("div", { class: `gauge ${status}${level !== null && level < 20 ? " low" : ""}`, "data-id": item.id },
    el("div", { class: "name" }, title),
    el("div", { class: "bar", title: `${num(level, 1)} %` },
      el("div", { class: "fill", style: `height:${pct}%` })),
    el("div", { class: "level" }, level === null ? "–" : `${num(level)} %`),
    el("div", { class: "content" }, `${num(item.content_l)} / ${num(item.capacity_l)} L`),
    ...extra,
    el("div", { class: "status" }, statusText));
}

function renderInstruments(s) {
  $("dewars").replaceChildren(...s.dewars.map((d) => {
    const g = gauge(d, `${T.dewar} ${d.id}`, [
      el("div", { class: "pressure" }, d.pressure_kpa === null ? "" : `${num(d.pressure_kpa, 1)} kPa`),
      el("div", { class: "days" }, d.days_left === null ? "" : `${T.days_left} ${num(d.days_left)} ${T.days}`),
    ]);
    g.setAttribute("data-dewar", d.id);
    return g;
  }));
  $("vessels").replaceChildren(...s.vessels.map((v) => gauge(v, v.name, [])));
  $("transfers").replaceChildren(...s.transfers.map((t) => {
    const running = t.state === "transferring" || t.state === "pressurising";
    return el("div", { class: `transfer ${t.state || t.status}`, "data-transfer": t.id },
      el("div", {}, `${t.id}: ${T["transfer_" + t.state] || T["status_" + t.status]}`
        + (t.source ? ` · ${T.from} ${t.source}` : "") + (t.target ? ` ${T.to} ${t.target}` : "")),
      running ? el("div", {}, `${T.moved} ${num(t.moved_l, 1)} L · ${T.rate} ${num(t.rate_l_h)} L/h · `
        + `${T.elapsed} ${Math.floor(t.elapsed_s / 60)}:${String(Math.floor(t.elapsed_s % 60)).padStart(2, "0")}`) : null,
      running ? el("div", { class: "say" }, fill(T.say_to_stop, { phrase: t.stop_phrase })) : null,
      !running && t.stop_reason ? el("div", { class: "reason" }, t.stop_reason) : null);
  }));
  const gas = [];
  if (s.gas.gas_bag) gas.push(el("div", {}, `${T.gas_bag}: ${num(s.gas.gas_bag.fill_pct)} %`));
  if (s.gas.compressor) gas.push(el("div", {}, `${T.compressor}: ${s.gas.compressor.state ?? "–"} (${s.gas.compressor.mode ?? ""}), ${num(s.gas.compressor.flow_m3_h, 1)} m³/h`));
  if (s.gas.storage) gas.push(el("div", {}, `${T.storage}: ${num(s.gas.storage.pressure_mpa, 1)} / ${num(s.gas.storage.max_pressure_mpa, 1)} MPa, ${num(s.gas.storage.gas_m3, 1)} m³`));
  $("gas").replaceChildren(...gas);
  $("oxygen").replaceChildren(...s.oxygen.map((m) => el("div",
    { class: `oxygen ${m.level || m.status}`, "data-oxygen": m.id },
    `${m.room}: ${num(m.o2_pct, 1)} % O₂ ${m.level && m.level !== "normal" ? "⚠ " + m.level : ""}`)));
}

function renderAlarms(alarms) {
  const serious = alarms.some((a) => a.severity === "alarm");
  document.body.classList.toggle("alarm", serious);
  document.body.classList.toggle("warning", !serious && alarms.length > 0);
  if (!alarms.length) {
    $("alarm-list").replaceChildren(el("li", { class: "none" }, T.no_alarms));
    $("alarm-list").firstChild.style.color = "inherit";
    return;
  }
  $("alarm-list").replaceChildren(...alarms.map((a) => el("li",
    { class: a.severity, "data-alarm": a.id },
    `${a.message} (${T.since} ${clock(a.since)}) — `
    + (a.acknowledged.length ? `${T.acknowledged_by} ${a.acknowledged.join(", ")}`
      : `${T.not_acknowledged}; ${fill(T.say_to_acknowledge, { wake })}`))));
}

function renderConversation(items) {
  $("conversation").replaceChildren(...items.map((c) => {
    if (c.kind !== "turn") {
      return el("li", { class: c.kind }, el("div", { class: "meta" }, `${clock(c.ts)} · ${c.site}`), `» ${c.reply}`);
    }
    return el("li", { class: "turn" },
      el("div", { class: "meta" }, `${clock(c.ts)} · ${c.site}${c.source ? " · " + c.source : ""} · `
        + `${T.intent} ${c.intent ?? "–"} · ${T.confidence} ${num(c.confidence, 2)} · ${T.decision} ${c.decision}`),
      el("div", { class: "heard" }, `“${c.heard}”`),
      el("div", { class: "reply" }, `→ ${c.reply}`));
  }));
}

function options(select, values, current) {
  const keep = current ?? select.value;
  select.replaceChildren(el("option", { value: "" }, T.any),
    ...values.map(([value, text]) => el("option", { value }, text)));
  select.value = keep;
}

function renderLedger(l) {
  const form = $("ledger-filter");
  options(form.lab, l.labs.map((x) => [x.id, x.name]), l.filter.lab ?? "");
  options(form.dewar, l.dewars.map((d) => [d, d]), l.filter.dewar ?? "");
  options(form.direction, [["dispensed", T.dispensed], ["recovered", T.recovered]], l.filter.direction ?? "");
  options(form.period, l.periods.map((p) => [p, T[p] || p]), l.filter.period ?? "");
  $("csv").href = "/api/ledger.csv?" + filterQuery();
  $("ledger-totals").textContent = `${num(l.count)} ${T.entries} · ${T.total_dispensed} ${num(l.dispensed_l, 1)} L · `
    + `${T.total_recovered} ${num(l.recovered_m3, 1)} m³`;
  const labs = Object.fromEntries(l.labs.map((x) => [x.id, x.name]));
  $("ledger").tBodies[0].replaceChildren(...l.entries.map((e) => el("tr",
    { class: e.undone ? "undone" : "", "data-entry": e.id },
    el("td", {}, clock(e.ts)), el("td", {}, e.site), el("td", {}, T[e.direction] || e.direction),
    el("td", { class: "amount" }, `${num(e.amount, 2)} ${e.unit === "m3" ? "m³" : e.unit}`),
    el("td", {}, labs[e.lab] ?? e.lab ?? ""), el("td", {}, e.dewar ?? ""),
    el("td", {}, e.heard + (e.undone ? ` (${T.undone})` : "")))));
}

const COLOURS = ["#3b82c4", "#c62828", "#2e7d32", "#b26a00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"];

function plot(id, series, data, xTime = true) {
  const target = $(id);
  const width = Math.max(280, (target.clientWidth || 400) - 10);
  const key = series.map((s) => s.label).join("|");
  if (plots[id] && plots[id].key === key) {
    plots[id].chart.setData(data);
    return;
  }
  if (plots[id]) plots[id].chart.destroy();
  const chart = new uPlot({
    width, height: 200, scales: { x: { time: xTime } },
    series: [{ label: T.time }, ...series], axes: [{}, {}], legend: { show: true },
  }, data, target);
  plots[id] = { key, chart };
}

function renderPlots(p) {
  const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined;
  const labs = Object.keys(p.litres_per_lab);
  plot("plot-labs", labs.map((lab, i) => ({
    // one lab: bars; several: a line each (overlapping filled areas would hide each other)
    label: lab, stroke: COLOURS[i % COLOURS.length], width: 2,
    fill: labs.length === 1 ? COLOURS[i % COLOURS.length] + "88" : undefined,
    paths: labs.length === 1 ? bars : undefined, points: { show: true, size: 7 },
  })), [p.months, ...labs.map((lab) => p.litres_per_lab[lab])]);
  plot("plot-recovery", [{ label: T.recovered + " %", stroke: COLOURS[2], points: { show: true, size: 7 }, spanGaps: true }],
    [p.months, p.recovery_rate_pct]);
  plot("plot-stock", [{ label: "L", stroke: COLOURS[0], fill: COLOURS[0] + "33", points: { show: p.stock.ts.length < 3, size: 7 } }],
    [p.stock.ts, p.stock.litres]);
}

const RENDER = {
  instruments: renderInstruments, alarms: renderAlarms, conversation: renderConversation,
  ledger: renderLedger, plots: renderPlots,
};

function render(name, data) {
  try {
    RENDER[name](data);
  } catch (err) {
    console.error(`could not show ${name}`, err);
  }
}

// -- live -----------------------------------------------------------------------------------

function filterQuery() {
  const form = $("ledger-filter");
  const q = new URLSearchParams();
  for (const name of ["lab", "dewar", "direction", "period"]) {
    if (form[name].value) q.set(name, form[name].value);
  }
  return q.toString();
}

function connect() {
  if (events) events.close();
  events = new EventSource("/api/events?" + filterQuery());
  events.onopen = () => {
    $("connection").className = "up";
    $("connection").textContent = T.connected;
  };
  events.onerror = () => {  // EventSource reconnects by itself
    $("connection").className = "down";
    $("connection").textContent = T.disconnected;
  };
  events.addEventListener("snapshot", (e) => {
    const s = JSON.parse(e.data);
    $("site-name").textContent = s.site;
    for (const name of Object.keys(RENDER)) render(name, s[name]);
    document.body.dataset.ready = "1";
  });
  for (const name of Object.keys(RENDER)) {
    events.addEventListener(name, (e) => render(name, JSON.parse(e.data)));
  }
}

async function start() {
  const answer = await (await fetch("/api/messages")).json();
  T = answer.messages;
  lang = answer.language;
  wake = answer.wake;
  document.documentElement.lang = lang;
  document.title = `wanwan · ${T.title}`;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = T[node.dataset.t] ?? node.dataset.t;
  $("ledger-filter").addEventListener("change", connect);
  connect();
}

start();
