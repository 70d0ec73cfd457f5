// The what-if page.  Every request carries all of this tab's settings; nothing is kept on the server per tab.
"use strict";

const $ = (sel) => document.querySelector(sel);
const tab = { scenario: null, upload: null, controls: null, seq: 0, timer: null, warmPoll: null, day: null, at: -1, playing: null };
const LABELS = {
  "external.nps": "NPS", "external.csat": "CSAT (0-10)", "external.wait_mean": "wait (mean)",
  "external.abandon_rate": "abandonment rate", "external.revenue": "revenue", "external.sojourn_mean": "time in system (mean)",
  "external.abandoned": "abandoned orders",
};
const label = (m) => LABELS[m] || (m.startsWith("dept.") ? m.split(".")[1] + " utilisation" : m);
const fmt = (x, d = 3) => (x === null || x === undefined || !isFinite(x)) ? "–" : Number(x).toPrecision(d);
const POINTS = new Set(["external.nps", "external.csat"]);  // score points: two decimals; the rest three significant digits
const signed = (x, m) => (x === null || x === undefined || !isFinite(x)) ? "–"
  : (x >= 0 ? "+" : "") + (POINTS.has(m) ? x.toFixed(2) : Number(x).toPrecision(3));
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

async function post(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r;
}

function source() {
  return tab.upload ? { upload: tab.upload } : { scenario: $("#scenario").value };
}

function edits() {
  const out = { headcount: {}, investments: {}, demand: {} };
  const c = tab.controls;
  document.querySelectorAll("[data-control^='headcount.']").forEach((el) => {
    const d = el.dataset.control.slice(10), v = Number(el.value);
    if (v !== c.heads[d]) out.headcount[d] = v;
  });
  document.querySelectorAll("[data-control^='investments.']").forEach((el) => {
    const k = el.dataset.control.slice(12), v = Number(el.value);
    if (v !== c.investments[k]) out.investments[k] = v;
  });
  document.querySelectorAll("[data-control^='demand.']").forEach((el) => {
    const v = Number(el.value);
    if (v !== 1) out.demand[el.dataset.control.slice(7)] = v;
  });
  if ($("#priority").value !== c.priority) out.priority = $("#priority").value;
  return out;
}

function settings() {
  return { ...source(), edits: edits(), replications: Number($("#replications").value), seed: Number($("#seed").value) };
}

function showProblems(list) {
  document.querySelectorAll(".problem[data-for]").forEach((p) => { p.textContent = ""; });
  document.querySelectorAll(".bad").forEach((el) => el.classList.remove("bad"));
  $("#problems").textContent = "";
  for (const p of list || []) {
    const slot = p.control && document.querySelector(`.problem[data-for='${CSS.escape(p.control)}']`);
    const input = p.control && document.querySelector(`[data-control='${CSS.escape(p.control)}']`);
    if (input) input.classList.add("bad");
    (slot || $("#problems")).textContent += (slot && slot.textContent ? "\n" : "") + p.message;
  }
}

function numberControl(parent, name, text, value, attrs) {
  const wrap = document.createElement("div");
  wrap.innerHTML = `<label>${esc(text)} <input type="number" data-control="${esc(name)}" value="${value}" ${attrs}></label>` +
    `<p class="problem" data-for="${esc(name)}"></p>`;
  parent.appendChild(wrap);
}

function buildControls(sc) {
  tab.controls = { heads: {}, investments: sc.investments, priority: sc.priority };
  $("#headcount").innerHTML = ""; $("#investments").innerHTML = ""; $("#demand").innerHTML = "";
  for (const d of sc.departments) {
    tab.controls.heads[d.name] = d.heads;
    numberControl($("#headcount"), `headcount.${d.name}`, d.name, d.heads, 'min="0" max="100000" step="1"');
  }
  for (const [k, v] of Object.entries(sc.investments)) numberControl($("#investments"), `investments.${k}`, k, v, 'min="0" step="1"');
  $("#priority").innerHTML = sc.priorities.map((p) => `<option${p === sc.priority ? " selected" : ""}>${esc(p)}</option>`).join("");
  for (const s of sc.segments) {
    const wrap = document.createElement("div");
    wrap.innerHTML = `<label>${esc(s.name)} <input type="range" data-control="demand.${esc(s.name)}" min="0.5" max="2" step="0.05" value="1">` +
      ` <output>×1.00</output> <span class="note">(${fmt(s.rate)} orders/${esc(sc.time_unit)})</span></label>` +
      `<p class="problem" data-for="demand.${esc(s.name)}"></p>`;
    $("#demand").appendChild(wrap);
  }
  document.querySelectorAll("#controls [data-control]").forEach((el) => {
    el.addEventListener("input", () => {
      const out = el.parentElement.querySelector("output");
      if (out) out.textContent = "×" + Number(el.value).toFixed(2);
      schedule();
    });
  });
  $("#scenario-text").textContent = sc.text;
  tab.budget = sc.budget;
  tab.unit = sc.time_unit;
  drawGraph(sc.graph);
  budgetLine();
}

function budgetLine() {
  const heads = [...document.querySelectorAll("[data-control^='headcount.']")].reduce((s, el) => s + Number(el.value), 0);
  const inv = [...document.querySelectorAll("[data-control^='investments.']")].reduce((s, el) => s + Number(el.value), 0);
  $("#budget-line").textContent = `${heads} heads + ${inv} invested` + (tab.budget !== null ? ` of a budget of ${tab.budget}` : " (no budget set)");
}

async function loadScenario() {
  const r = await (await post("/api/scenario", source())).json();
  if (!r.ok) { showProblems(r.problems); return; }
  showProblems([]);
  buildControls(r);
  update();
}

function schedule() {
  budgetLine();
  clearTimeout(tab.timer);
  tab.timer = setTimeout(update, 200);
}

async function update() {
  const seq = ++tab.seq;
  const started = performance.now();
  const tick = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    if (s > 0.25) { $("#progress").hidden = false; $("#progress-text").textContent = `computing… ${s.toFixed(1)} s`; }
  }, 100);
  $("#results").dataset.state = "busy";
  try {
    const r = await (await post("/api/whatif", settings())).json();
    if (seq !== tab.seq) return;  // a newer request was sent: its answer is the one to show
    $("#results").dataset.answered = seq;
    if (!r.ok) { showProblems(r.problems); $("#results").dataset.state = "invalid"; return; }
    showProblems([]);
    showResult(r);
  } catch (err) {
    if (seq === tab.seq) showProblems([{ control: null, message: String(err) }]);
  } finally {
    clearInterval(tick);
    if (seq === tab.seq) $("#progress").hidden = true;
  }
}

function showResult(r) {
  const info = $("#run-info");
  info.textContent = `${r.engine} engine, ${r.replications} replications, seed ${r.seed}, common random numbers; answered in ${r.seconds.toFixed(2)} s` +
    (r.quick ? ` — a first look from the reference engine over the first ${r.horizon} ${tab.unit}s while the compiled engine warms up` : "");
  Object.assign(info.dataset, { engine: r.engine, replications: r.replications, seed: r.seed, quick: r.quick });
  const body = $("#results tbody");
  body.innerHTML = "";
  for (const row of r.rows) {
    const d = row.difference, tr = document.createElement("tr");
    tr.id = "row-" + row.metric;
    const sign = d.ci_low !== null && d.ci_low > 0 ? 1 : (d.ci_high !== null && d.ci_high < 0 ? -1 : 0);
    const cls = row.direction && sign ? (sign === row.direction ? "better" : "worse") : "";
    tr.innerHTML = `<td>${esc(label(row.metric))}</td>` +
      `<td>${fmt(row.as_written.mean)} <span class="note">[${fmt(row.as_written.ci_low)}, ${fmt(row.as_written.ci_high)}]</span></td>` +
      `<td>${fmt(row.what_if.mean)} <span class="note">[${fmt(row.what_if.ci_low)}, ${fmt(row.what_if.ci_high)}]</span></td>` +
      `<td class="diff ${cls}" data-mean="${d.mean}">${signed(d.mean, row.metric)} <span class="note">[${signed(d.ci_low, row.metric)}, ${signed(d.ci_high, row.metric)}]</span></td>`;
    body.appendChild(tr);
  }
  $("#results").dataset.state = r.quick ? "quick" : "done";
  if (r.quick && tab.compiled) schedule();  // the compiled engine became ready while this first look ran
  $("#charts").innerHTML = r.series.map(chart).join("");
  drawGraph(r.graph);
}

function chart(s) {
  const W = 320, H = 150, L = 40, B = 22, T = 8;
  const vals = [s.as_written, s.what_if].flatMap((x) => [...x.low, ...x.high, ...x.mean]).filter((v) => v !== null);
  if (!vals.length) return "";
  let lo = Math.min(...vals), hi = Math.max(...vals);
  if (hi === lo) { hi += 1; lo -= 1; }
  const t0 = 0, t1 = s.time[s.time.length - 1];
  const X = (t) => L + (W - L - 4) * (t - t0) / (t1 - t0 || 1), Y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  const line = (arr) => arr.map((v, i) => v === null ? "" : `${X(s.time[i]).toFixed(1)},${Y(v).toFixed(1)}`).filter(Boolean).join(" ");
  const band = (x) => {
    const top = x.high.map((v, i) => v === null ? null : `${X(s.time[i]).toFixed(1)},${Y(v).toFixed(1)}`).filter(Boolean);
    const bot = x.low.map((v, i) => v === null ? null : `${X(s.time[i]).toFixed(1)},${Y(v).toFixed(1)}`).filter(Boolean).reverse();
    return top.concat(bot).join(" ");
  };
  return `<div class="chart"><h3>${esc(label(s.metric))} per period</h3><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(label(s.metric))}">` +
    `<line x1="${L}" y1="${H - B}" x2="${W - 4}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/>` +
    `<line x1="${X(s.warmup)}" y1="${T}" x2="${X(s.warmup)}" y2="${H - B}" stroke="#aaa" stroke-dasharray="3,3"/>` +
    `<polygon points="${band(s.as_written)}" fill="#3869a8" opacity="0.15"/><polygon points="${band(s.what_if)}" fill="#e07b00" opacity="0.2"/>` +
    `<polyline points="${line(s.as_written.mean)}" fill="none" stroke="#3869a8" stroke-width="1.5"/>` +
    `<polyline points="${line(s.what_if.mean)}" fill="none" stroke="#e07b00" stroke-width="1.5"/>` +
    `<text x="2" y="${T + 8}" font-size="9">${fmt(hi)}</text><text x="2" y="${H - B}" font-size="9">${fmt(lo)}</text>` +
    `<text x="${L}" y="${H - 6}" font-size="9">0</text><text x="${W - 4}" y="${H - 6}" font-size="9" text-anchor="end">${fmt(t1)} ${esc(s.unit)}s</text>` +
    `<text x="${W - 4}" y="${T + 8}" font-size="9" text-anchor="end"><tspan fill="#3869a8">as written</tspan> <tspan fill="#e07b00">what-if</tspan></text>` +
    `</svg></div>`;
}

function drawGraph(g) {
  const W = 760, colW = W / g.columns, rowH = 70;
  const H = Math.max(...g.nodes.map((n) => n.rows)) * rowH + 20;
  const pos = {};
  for (const n of g.nodes) pos[n.id] = [colW * (n.column + 0.5), (H - n.rows * rowH) / 2 + rowH * (n.row + 0.5)];
  const util = (n) => n[g.measure];
  const colour = (u) => u === null || u === undefined ? "#eee" : `hsl(${Math.max(0, 120 - 140 * u)}, 65%, 70%)`;
  let svg = `<svg id="graph-drawing" viewBox="0 0 ${W} ${H}" width="100%"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#666"/></marker></defs>`;
  for (const e of g.edges) {
    const [x1, y1] = pos[e.from], [x2, y2] = pos[e.to];
    const back = x2 <= x1, dx = back ? 0 : 48, mx = (x1 + x2) / 2, my = (y1 + y2) / 2 + (back ? 18 : 0);
    svg += `<line x1="${x1 + dx}" y1="${y1}" x2="${x2 - dx}" y2="${y2}" stroke="#888" marker-end="url(#arrow)"/>`;
    if (e.response !== null) svg += `<text x="${mx}" y="${my - 4}" font-size="10" text-anchor="middle" fill="#444">${fmt(e.response, 2)} ${esc(g.time_unit)}s</text>`;
  }
  for (const n of g.nodes) {
    const [x, y] = pos[n.id], u = util(n), hot = n.id === g.bottleneck;
    const shape = n.kind === "customer" || n.kind === "supplier"
      ? `<ellipse cx="${x}" cy="${y}" rx="46" ry="20" fill="#dde7f3" stroke="#567"/>`
      : `<rect x="${x - 48}" y="${y - 24}" width="96" height="48" rx="6" fill="${colour(u)}" stroke="${hot ? "#b00020" : "#567"}" stroke-width="${hot ? 3 : 1}"/>`;
    const sub = n.kind === "customer" ? "customers" : n.kind === "supplier" ? "supplier" : `${n.heads} heads, u ${fmt(u, 2)}`;
    svg += `<g class="node" data-id="${esc(n.id)}">${shape}<text x="${x}" y="${y - 3}" font-size="11" text-anchor="middle" font-weight="600">${esc(n.name)}</text>` +
      `<text x="${x}" y="${y + 12}" font-size="9" text-anchor="middle">${esc(sub)}</text></g>`;
  }
  $("#graph-svg").innerHTML = svg + "</svg>";
  const b = g.nodes.find((n) => n.id === g.bottleneck);
  $("#bottleneck").textContent = b ? `The bottleneck is ${b.name}: utilisation ${fmt(util(b), 2)} (${g.measure === "utilisation" ? "simulated, what-if" : "offered, before any run"}).` : "";
  $("#bottleneck").dataset.bottleneck = b ? b.name : "";
}

async function download(kind) {
  const r = await post(`/api/download/${kind}`, settings());
  const type = r.headers.get("Content-Type") || "";
  if (type.startsWith("application/json")) { showProblems((await r.json()).problems); return; }
  const name = (r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await r.blob());
  a.download = name ? name[1] : `what_if.${kind}`;
  document.body.appendChild(a); a.click(); a.remove();
}

async function pollStatus() {
  const s = await (await fetch("/api/status")).json();
  const e = s.engine, el = $("#engine-status");
  if (e.compiled) {
    tab.compiled = true;
    el.textContent = `compiled engine ready (warmed in ${e.ready_after} s)`;
    el.classList.remove("warming");
    clearInterval(tab.warmPoll); tab.warmPoll = null;
    if ($("#results").dataset.state === "quick") update();  // replace the first look by the full run
  } else {
    el.textContent = e.failed ? `compiled engine unavailable (${e.failed}); using the reference engine`
      : `compiled engine warming up (${e.seconds} s); meanwhile what-ifs are a first look from the reference engine (2 short replications)`;
    el.classList.add("warming");
  }
  return s;
}

// ---------------------------------------------------------------- classroom
async function loadDay() {
  const body = { seed: Number($("#cls-seed").value), edits: (!tab.upload && $("#scenario").value === "classroom") ? edits() : {} };
  const r = await (await post("/api/classroom", body)).json();
  if (!r.ok) { $("#cls-event").textContent = r.problems.map((p) => p.message).join("\n"); return; }
  tab.day = r; tab.at = -1;
  $("#cls-log").innerHTML = "";
  showStep();
}

function showStep() {
  const day = tab.day; if (!day) return;
  const s = day.steps[tab.at];
  $("#classroom").dataset.step = tab.at;
  $("#cls-clock").textContent = s ? `t = ${s.time.toFixed(2)} ${day.time_unit}s  (${tab.at + 1} / ${day.steps.length})` : `before opening (0 / ${day.steps.length})`;
  $("#cls-event").textContent = s ? s.text : "Press step or play.";
  $("#cls-event").className = "event" + (s && (s.event === "complete" || s.event === "abandon") ? " leave" : "");
  const state = s || { departments: Object.fromEntries(day.departments.map((d) => [d, { heads: 0, queue: [], serving: 0, blocked: 0, waiting: 0 }])), left: { served: 0, abandoned: 0 } };
  $("#cls-departments").innerHTML = day.departments.map((d) => {
    const x = state.departments[d], idle = Math.max(0, x.heads - x.serving - x.blocked);
    const emps = '<i class="emp serving"></i>'.repeat(x.serving) + '<i class="emp blocked"></i>'.repeat(x.blocked) + '<i class="emp"></i>'.repeat(idle);
    return `<div class="dept${s && s.department === d ? " active" : ""}" data-dept="${esc(d)}"><h3>${esc(d)}</h3>` +
      `<span class="staff">${emps}</span> serving ${x.serving}, <b>blocked ${x.blocked}</b>, idle ${idle} · ` +
      `queue <span class="queue">${'<i class="cust"></i>'.repeat(x.queue.length)}</span> <span data-queue="${x.queue.length}">${x.queue.length}</span>` +
      (x.waiting ? ` · ${x.waiting} waiting on a supplier` : "") + `</div>`;
  }).join("");
  $("#cls-left").textContent = `Customers who have left: ${state.left.served} served, ${state.left.abandoned} gave up waiting.`;
  if (s) {
    const li = document.createElement("li"); li.textContent = s.text;
    $("#cls-log").prepend(li);
  }
}

function step(by) {
  if (!tab.day) return;
  tab.at = Math.max(-1, Math.min(tab.day.steps.length - 1, tab.at + by));
  if (by < 0) $("#cls-log").firstChild?.remove();
  showStep();
  if (tab.at === tab.day.steps.length - 1) stopPlay();
}

function stopPlay() { clearInterval(tab.playing); tab.playing = null; $("#cls-play").textContent = "play"; }

function togglePlay() {
  if (tab.playing) { stopPlay(); return; }
  $("#cls-play").textContent = "pause";
  tab.playing = setInterval(() => step(1), 1000 / Number($("#cls-speed").value));
}

// ---------------------------------------------------------------- wiring
async function start() {
  document.querySelectorAll(".tab").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll(".tab").forEach((x) => x.classList.toggle("active", x === b));
    document.querySelectorAll(".panel").forEach((p) => { p.hidden = p.id !== b.dataset.tab; });
    if (b.dataset.tab === "classroom" && !tab.day) loadDay();
  }));
  const s = await pollStatus();
  $("#scenario").innerHTML = s.scenarios.map((n) => `<option${n === s.initial ? " selected" : ""}>${esc(n)}</option>`).join("");
  if (!s.engine.compiled) tab.warmPoll = setInterval(pollStatus, 1500);
  $("#scenario").addEventListener("change", () => { tab.upload = null; $("#upload").value = ""; loadScenario(); });
  $("#upload").addEventListener("change", async () => {
    const f = $("#upload").files[0]; if (!f) return;
    tab.upload = { name: f.name, text: await f.text() };
    loadScenario();
  });
  $("#priority").addEventListener("change", schedule);
  ["#replications", "#seed"].forEach((id) => $(id).addEventListener("change", schedule));
  $("#reset").addEventListener("click", loadScenario);
  for (const k of ["yaml", "csv", "html"]) $(`#download-${k}`).addEventListener("click", () => download(k));
  $("#cls-load").addEventListener("click", loadDay);
  $("#cls-step").addEventListener("click", () => step(1));
  $("#cls-back").addEventListener("click", () => step(-1));
  $("#cls-play").addEventListener("click", togglePlay);
  $("#cls-speed").addEventListener("change", () => { if (tab.playing) { stopPlay(); togglePlay(); } });
  await loadScenario();
}

start();
