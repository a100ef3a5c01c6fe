// docparse dashboard: plain JavaScript over the /v1 API and /v1/admin.
// Every view re-renders from JSON every REFRESH ms; nothing is kept that the
// server cannot give again, so a reload is always safe.
"use strict";

const REFRESH = 2000;
const ENGINES = ["deepseek", "nanonets", "textlayer"];
const state = { view: "overview", jobId: null, info: { retry: false }, timer: null, openPages: new Set() };

const $ = (sel) => document.querySelector(sel);

function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// api fetches JSON from the API. When the API wants a key (API_KEYS set), it
// asks once and keeps the key in this browser's localStorage.
async function api(path, opts, asked) {
  const key = localStorage.getItem("docparse_api_key");
  const o = { ...(opts || {}), headers: { ...((opts && opts.headers) || {}), ...(key ? { "X-API-Key": key } : {}) } };
  const res = await fetch(path, o);
  if (res.status === 401 && !asked) {
    const k = window.prompt("This docparse API needs an API key:");
    if (k) {
      localStorage.setItem("docparse_api_key", k.trim());
      return api(path, opts, true);
    }
  }
  const body = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text();
  if (!res.ok) {
    const msg = body?.error?.message || res.status + " " + res.statusText;
    throw new Error(msg);
  }
  return body;
}

function flash(msg, isError) {
  const el = $("#flash");
  el.textContent = msg;
  el.className = "flash" + (isError ? " err" : "");
  el.hidden = false;
  clearTimeout(flash.t);
  flash.t = setTimeout(() => { el.hidden = true; }, 6000);
}

// ---- formatting ---------------------------------------------------------------

function ago(iso) {
  if (!iso) return "";
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 60) return Math.max(0, Math.round(s)) + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  if (s < 86400) return Math.round(s / 3600) + " h ago";
  return new Date(iso).toLocaleString();
}

function duration(job) {
  const start = Date.parse(job.started_at || job.created_at);
  if (!start) return "";
  const end = job.completed_at ? Date.parse(job.completed_at) : Date.now();
  return secs((end - start) / 1000);
}

function secs(s) {
  if (s < 1) return s.toFixed(2) + " s";
  if (s < 60) return s.toFixed(1) + " s";
  const m = Math.floor(s / 60);
  return m + " m " + Math.round(s % 60) + " s";
}

function idle(s) {
  if (s < 0) return "never";
  return s < 60 ? s.toFixed(1) + " s" : secs(s);
}

function shortConsumer(name) {
  const i = name.indexOf("~");
  return i < 0 ? name : name.slice(i + 1);
}

// progressBar draws one bar segment per engine plus failed pages, out of the
// job's total; the label is the share of pages finished.
function progressBar(p, big) {
  const total = p.total_pages || 0;
  const done = p.current_page || 0;
  const pct = total ? Math.floor((100 * done) / total) : 0;
  const seg = (n, cls) => (total && n ? `<i class="${cls}" style="width:${(100 * n) / total}%"></i>` : "");
  const ok = Math.max(0, done - (p.failed_pages || 0));
  // The per-engine counters count successful pages only.
  const counted = (p.deepseek_pages || 0) + (p.nanonets_pages || 0) + (p.textlayer_pages || 0);
  const other = Math.max(0, ok - counted);
  const label = total ? `${pct} % · ${done}/${total}` : "waiting for split";
  return `<div class="bar${big ? " big" : ""}" data-pct="${pct}" title="DeepSeek ${p.deepseek_pages || 0}, Nanonets ${p.nanonets_pages || 0}, text layer ${p.textlayer_pages || 0}, failed ${p.failed_pages || 0}">` +
    seg(p.deepseek_pages, "eng-deepseek") + seg(p.nanonets_pages, "eng-nanonets") + seg(p.textlayer_pages, "eng-textlayer") +
    seg(other, "eng-textlayer") + seg(p.failed_pages, "eng-failed") + `<span class="label">${esc(label)}</span></div>`;
}

// ---- charts -------------------------------------------------------------------------

const COLORS = { deepseek: "#3b6fd8", nanonets: "#8a4fd0", textlayer: "#2f9e6a" };

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// chart draws stacked bars (kind "bars") or lines (kind "lines") per series
// over the points' minutes, with a y axis from 0 to a round maximum.
function chart(el, points, series, kind, unit) {
  const W = 600, H = 170, L = 36, R = 8, T = 20, B = 22;
  const n = points.length;
  const values = points.map((p) => series.map((s) => s.get(p)));
  const top = kind === "bars" ? Math.max(0, ...values.map((v) => v.reduce((a, b) => a + b, 0))) : Math.max(0, ...values.flat());
  const max = niceMax(top);
  const x = (i) => L + ((W - L - R) * i) / Math.max(1, n);
  const y = (v) => H - B - ((H - B - T) * v) / max;
  let svg = `<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img">`;
  for (const f of [0, 0.5, 1]) {
    svg += `<line x1="${L}" x2="${W - R}" y1="${y(max * f)}" y2="${y(max * f)}" stroke="#e2e5ea"/>`;
    svg += `<text x="${L - 4}" y="${y(max * f) + 3}" text-anchor="end">${fmtNum(max * f)}</text>`;
  }
  const bw = (W - L - R) / Math.max(1, n);
  if (kind === "bars") {
    values.forEach((vs, i) => {
      let base = 0;
      vs.forEach((v, k) => {
        if (!v) return;
        svg += `<rect x="${x(i) + 0.5}" width="${Math.max(1, bw - 1)}" y="${y(base + v)}" height="${y(base) - y(base + v)}" fill="${series[k].color}"><title>${esc(series[k].name)}: ${fmtNum(v)} ${unit}</title></rect>`;
        base += v;
      });
    });
  } else {
    series.forEach((s, k) => {
      let d = "";
      values.forEach((vs, i) => {
        if (!vs[k]) return;
        d += (d ? " L" : "M") + (x(i) + bw / 2).toFixed(1) + " " + y(vs[k]).toFixed(1);
        svg += `<circle cx="${x(i) + bw / 2}" cy="${y(vs[k])}" r="2" fill="${s.color}"><title>${esc(s.name)}: ${vs[k].toFixed(2)} ${unit}</title></circle>`;
      });
      if (d) svg += `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`;
    });
  }
  const ticks = [[0, "-" + n + " min"], [Math.floor(n / 2), "-" + (n - Math.floor(n / 2)) + " min"], [n - 1, "now"]];
  for (const [i, t] of ticks) svg += `<text x="${x(i) + bw / 2}" y="${H - 6}" text-anchor="middle">${t}</text>`;
  // Legend in the top-right corner, clear of the y axis labels.
  let lx = W - R - series.reduce((w, s) => w + 24 + 6.5 * s.name.length, 0);
  for (const s of series) {
    svg += `<rect x="${lx}" y="3" width="9" height="9" fill="${s.color}"/><text x="${lx + 12}" y="11">${esc(s.name)}</text>`;
    lx += 24 + 6.5 * s.name.length;
  }
  el.innerHTML = svg + "</svg>";
}

function fmtNum(v) {
  if (v === 0) return "0";
  if (v < 0.1) return v.toFixed(3);
  if (v < 10) return v.toFixed(v < 1 ? 2 : 1);
  return Math.round(v).toString();
}

async function renderCharts() {
  const { points } = await api("/v1/admin/stats?minutes=60");
  chart($("#chart-pages"), points, ENGINES.map((e) => ({
    name: e === "textlayer" ? "text layer" : e, color: COLORS[e], get: (p) => (p.pages[e] || 0) / 60,
  })), "bars", "pages/s");
  chart($("#chart-latency"), points, ["deepseek", "nanonets"].map((e) => ({
    name: e, color: COLORS[e], get: (p) => p.ocr_avg_seconds[e] || 0,
  })), "lines", "s");
}

// ---- overview -----------------------------------------------------------------------

async function renderStreams() {
  const { streams, processes } = await api("/v1/admin/streams");
  const tbody = $("#streams tbody");
  // Keep the consumer lists the operator opened across refreshes.
  state.openGroups = new Set([...tbody.querySelectorAll("details[open]")].map((d) => d.dataset.g));
  const rows = [];
  for (const s of streams) {
    const groups = s.groups.length ? s.groups : [null];
    groups.forEach((g, i) => {
      const first = i === 0;
      const stream = first ? `<td class="mono" rowspan="${groups.length}">${esc(s.name)}</td><td class="num" rowspan="${groups.length}">${s.length}</td>` : "";
      if (!g) {
        rows.push(`<tr>${stream}<td class="muted">no group</td><td></td><td></td><td></td></tr>`);
        return;
      }
      const busy = g.consumers.filter((c) => c.pending > 0).length;
      const minIdle = g.consumers.length ? Math.min(...g.consumers.map((c) => c.idle_seconds)) : -1;
      const chips = g.consumers.map((c) =>
        `<span class="chip${c.pending ? " busy" : ""}" title="${esc(c.name)}">${esc(shortConsumer(c.name))} · ${c.pending} pending · idle ${idle(c.idle_seconds)}</span>`).join("");
      const summary = `${g.consumers.length} consumers, ${busy} busy${minIdle >= 0 ? ", min idle " + idle(minIdle) : ""}`;
      rows.push(`<tr data-stream="${esc(s.name)}" data-group="${esc(g.name)}">${stream}<td class="mono">${esc(g.name)}</td>` +
        `<td class="num lag">${g.lag < 0 ? "?" : g.lag}</td><td class="num pending">${g.pending}</td>` +
        `<td><details${state.openGroups?.has(g.name) ? " open" : ""} data-g="${esc(g.name)}"><summary>${esc(summary)}</summary>${chips}</details></td></tr>`);
    });
  }
  tbody.innerHTML = rows.join("");
  const names = Object.keys(processes);
  $("#procs").textContent = `${names.length} worker process${names.length === 1 ? "" : "es"} alive`;
  $("#procs").title = names.join("\n");
}

async function renderJobs() {
  const status = $("#job-filter").value;
  const { jobs } = await api("/v1/jobs?limit=50" + (status ? "&status=" + encodeURIComponent(status) : ""));
  $("#jobs tbody").innerHTML = jobs.map((j) =>
    `<tr class="click" data-job="${esc(j.job_id)}"><td><a href="#/jobs/${esc(j.job_id)}">${esc(j.filename || j.job_id)}</a></td>` +
    `<td><span class="status ${esc(j.status)}">${esc(j.status)}</span></td><td>${progressBar(j.progress)}</td>` +
    `<td>${esc(j.accuracy_mode)}</td><td title="${esc(j.created_at)}">${esc(ago(j.created_at))}</td><td class="num">${esc(duration(j))}</td></tr>`,
  ).join("") || `<tr><td colspan="6" class="muted">no jobs${status ? " with status " + esc(status) : ""}</td></tr>`;
}

async function renderPoisonCount() {
  const { total } = await api("/v1/admin/poison?limit=1");
  $("#poison-count").textContent = total ? String(total) : "";
}

// ---- job page -------------------------------------------------------------------------

async function renderJob() {
  const id = state.jobId;
  const [job, pages] = await Promise.all([api(`/v1/jobs/${id}/status`), api(`/v1/jobs/${id}/pages`)]);
  $("#job-title").innerHTML = `${esc(job.filename || id)} <span class="status ${esc(job.status)}">${esc(job.status)}</span>`;
  $("#job-meta").innerHTML = [
    ["id", `<span class="mono">${esc(id)}</span>`], ["mode", esc(job.accuracy_mode)], ["format", esc(job.output_format)],
    ["created", esc(ago(job.created_at))], ["time", esc(duration(job))],
    ["engines", `DeepSeek ${job.progress.deepseek_pages} · Nanonets ${job.progress.nanonets_pages} · text layer ${job.progress.textlayer_pages} · failed ${job.progress.failed_pages}`],
  ].map(([k, v]) => `<span>${k} <b>${v}</b></span>`).join("");
  $("#job-progress").innerHTML = progressBar(job.progress, true);
  const final = ["completed", "failed", "cancelled"].includes(job.status);
  $("#act-cancel").hidden = final;
  $("#act-retry").hidden = !(state.info.retry && job.progress.failed_pages > 0);
  const dl = $("#act-download");
  dl.hidden = job.status !== "completed";
  dl.href = `/v1/jobs/${id}/result?download=1`;
  $("#job-error").hidden = !job.error;
  $("#job-error").textContent = job.error || "";

  const byPage = new Map(pages.pages.map((p) => [p.page, p]));
  const total = Math.max(job.progress.total_pages, ...pages.pages.map((p) => p.page), 0);
  const rows = [];
  for (let n = 1; n <= total; n++) {
    const p = byPage.get(n);
    if (!p) {
      rows.push(`<tr data-page="${n}"><td class="num">${n}</td><td></td><td></td><td></td><td class="muted">${final ? "not read" : "pending"}</td><td></td></tr>`);
      continue;
    }
    const status = p.error ? `<span class="status failed">failed</span>` : `<span class="status completed">done</span>`;
    const open = state.openPages.has(n);
    const preview = p.error ? `<span class="error">${esc(p.error)}</span>` :
      open ? `<pre>${esc(p.markdown)}</pre>` : `<div class="preview">${esc((p.markdown || "").slice(0, 200)) || '<span class="muted">(empty page)</span>'}</div>`;
    rows.push(`<tr class="click" data-page="${n}" data-engine="${esc(p.engine)}"><td class="num">${n}</td>` +
      `<td><i class="eng-${esc(p.engine)} dot"></i>${esc(p.engine)}</td><td>${esc(p.reader)}</td><td class="num">${(p.seconds || 0).toFixed(2)}</td>` +
      `<td>${status}</td><td>${preview}</td></tr>`);
  }
  $("#pages tbody").innerHTML = rows.join("");
  const failed = pages.pages.filter((p) => p.error).length;
  $("#pages-summary").textContent = `${pages.pages.length} of ${total || "?"} read${failed ? ", " + failed + " failed" : ""} · click a page for its full text`;

  if (job.status === "completed" && state.resultFor !== id) {
    const r = await api(`/v1/jobs/${id}/result`);
    const text = r.markdown || r.content || "";
    $("#result-preview").textContent = text.length > 20000 ? text.slice(0, 20000) + "\n…" : text;
    $("#result-card").hidden = false;
    state.resultFor = id;
  } else if (job.status !== "completed") {
    $("#result-card").hidden = true;
    state.resultFor = null;
  }
  state.jobFinal = final;
}

async function jobAction(kind) {
  const id = state.jobId;
  try {
    if (kind === "cancel") {
      await api(`/v1/jobs/${id}/cancel`, { method: "POST" }); // DELETE would also delete the job
      flash("job cancelled");
    } else if (kind === "retry") {
      await api(`/v1/jobs/${id}/retry`, { method: "POST" });
      flash("failed pages sent again");
    } else if (kind === "rerun") {
      const j = await api(`/v1/admin/jobs/${id}/rerun`, { method: "POST" });
      flash("running again as a new job");
      location.hash = "#/jobs/" + j.job_id;
      return;
    }
    await refresh();
  } catch (e) {
    flash(kind + " failed: " + e.message, true);
  }
}

// ---- poison -----------------------------------------------------------------------------

async function renderPoison() {
  const { entries, total } = await api("/v1/admin/poison?limit=200");
  $("#poison-count").textContent = total ? String(total) : "";
  $("#poison tbody").innerHTML = entries.map((p) => {
    const ms = parseInt(p.id, 10);
    const job = p.job_id ? `<a href="#/jobs/${esc(p.job_id)}" class="mono">${esc(p.job_id.slice(0, 8))}</a>${p.page ? " p." + p.page : ""}` : "";
    return `<tr data-entry="${esc(p.id)}"><td class="mono">${esc(p.id)}</td><td>${esc(ago(new Date(ms).toISOString()))}</td>` +
      `<td class="mono">${esc(p.topic)}</td><td>${esc(shortConsumer(p.handler || ""))}</td><td>${job}</td>` +
      `<td><span class="error">${esc(p.reason)}</span>${p.replayed_from ? ' <span class="muted">(a replay)</span>' : ""}` +
      `<details><summary>payload</summary><pre>${esc(p.payload)}</pre></details></td>` +
      `<td><button type="button" data-replay="${esc(p.id)}">Replay</button></td></tr>`;
  }).join("") || `<tr><td colspan="7" class="muted">no poisoned messages</td></tr>`;
}

async function replayPoison(id) {
  try {
    const { replayed } = await api(`/v1/admin/poison/${id}/replay`, { method: "POST" });
    flash(`replayed ${id} to ${replayed.topic}`);
    await refresh();
  } catch (e) {
    flash("replay failed: " + e.message, true);
  }
}

// ---- routing and refresh --------------------------------------------------------------

function route() {
  const h = location.hash || "#/";
  const m = h.match(/^#\/jobs\/([0-9a-f-]{36})$/);
  state.view = m ? "job" : h === "#/poison" ? "poison" : "overview";
  if (m && m[1] !== state.jobId) state.openPages = new Set();
  state.jobId = m ? m[1] : null;
  for (const v of ["overview", "job", "poison"]) $("#view-" + v).hidden = v !== state.view;
  document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", a.dataset.nav === state.view));
  refresh();
}

async function refresh() {
  clearTimeout(state.timer);
  try {
    if (state.view === "overview") {
      await Promise.all([renderStreams(), renderJobs(), renderCharts(), renderPoisonCount()]);
    } else if (state.view === "job") {
      await renderJob();
    } else {
      await renderPoison();
    }
    $("#live").className = "live";
    $("#live").textContent = "live · " + new Date().toLocaleTimeString();
  } catch (e) {
    $("#live").className = "live stale";
    $("#live").textContent = "offline: " + e.message;
  }
  state.timer = setTimeout(refresh, REFRESH);
}

async function upload(ev) {
  ev.preventDefault();
  const file = $("#upload-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  if ($("#upload-mode").value) form.append("accuracy_mode", $("#upload-mode").value);
  try {
    const r = await api("/v1/process/async", { method: "POST", body: form });
    flash(`${file.name} queued`);
    $("#upload").reset();
    location.hash = "#/jobs/" + r.job_id;
  } catch (e) {
    flash("upload failed: " + e.message, true);
  }
}

document.addEventListener("click", (ev) => {
  const replay = ev.target.closest("[data-replay]");
  if (replay) return replayPoison(replay.dataset.replay);
  if (ev.target.closest("a, button, summary, pre")) return;
  const job = ev.target.closest("tr[data-job]");
  if (job) { location.hash = "#/jobs/" + job.dataset.job; return; }
  const page = ev.target.closest("tr[data-page]");
  if (page && page.classList.contains("click")) {
    const n = parseInt(page.dataset.page, 10);
    state.openPages.has(n) ? state.openPages.delete(n) : state.openPages.add(n);
    refresh();
  }
});
$("#act-cancel").addEventListener("click", () => jobAction("cancel"));
$("#act-retry").addEventListener("click", () => jobAction("retry"));
$("#act-rerun").addEventListener("click", () => jobAction("rerun"));
$("#job-filter").addEventListener("change", refresh);
$("#upload").addEventListener("submit", upload);
window.addEventListener("hashchange", route);
api("/v1/admin/info").then((i) => { state.info = i; }).catch(() => {}).finally(route);
