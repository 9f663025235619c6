// ionflux web page: recipe form -> POST /api/predict -> uPlot chart; K_D table per cation ratio.
"use strict";

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                 "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79"];
const state = { recipes: [], sweepsPerHour: 10, chart: null, prediction: null, kd: null };
window.ionflux = state;  // read by the browser test

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function addPrecursor(formula = "", ratio = 1) {
  const row = el("div", { class: "precursor" });
  const f = el("input", { class: "formula", value: formula, placeholder: "BaO", "aria-label": "formula" });
  const r = el("input", { class: "ratio", type: "number", min: "0", step: "any", value: ratio, "aria-label": "ratio" });
  const x = el("button", { type: "button" }, "×");
  x.onclick = () => row.remove();
  row.append(f, " : ", r, " ", x);
  document.getElementById("precursors").append(row);
}

function addStep(temperature = 1300, hours = 1) {
  const tr = el("tr");
  const t = el("input", { class: "temperature", type: "number", min: "1", value: temperature, "aria-label": "temperature K" });
  const h = el("input", { class: "hours", type: "number", min: "0", step: "any", value: hours, "aria-label": "hours" });
  const x = el("button", { type: "button" }, "×");
  x.onclick = () => tr.remove();
  for (const node of [t, h, x]) { const td = el("td"); td.append(node); tr.append(td); }
  document.querySelector("#profile tbody").append(tr);
}

function applyRecipe(name) {
  const recipe = state.recipes.find(r => r.name === name);
  if (!recipe) return;
  document.getElementById("precursors").replaceChildren();
  document.querySelector("#profile tbody").replaceChildren();
  for (const [f, r] of Object.entries(recipe.precursors)) addPrecursor(f, r);
  for (const s of recipe.profile) addStep(s.temperature_K, +s.hours.toFixed(3));
}

function readForm() {
  const precursors = {};
  for (const row of document.querySelectorAll(".precursor")) {
    const f = row.querySelector(".formula").value.trim();
    if (f) precursors[f] = Number(row.querySelector(".ratio").value);
  }
  const profile = [...document.querySelectorAll("#profile tbody tr")].map(tr => ({
    temperature_K: Number(tr.querySelector(".temperature").value),
    hours: Number(tr.querySelector(".hours").value),
  }));
  return {
    precursors, profile,
    mode: document.getElementById("mode").value,
    realisations: Number(document.getElementById("realisations").value),
    grid: Number(document.getElementById("grid").value),
    seed: Number(document.getElementById("seed").value),
  };
}

function setStatus(id, text, isError = false) {
  const node = document.getElementById(id);
  node.textContent = text;
  node.className = isError ? "error" : "";
}

async function api(url, options) {
  const response = await fetch(url, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = { detail: response.statusText }; }
  if (!response.ok) throw new Error(body && body.detail ? body.detail : `HTTP ${response.status}`);
  return body;
}

function plotPrediction(doc) {
  const hours = doc.series.map(p => p.time / state.sweepsPerHour);
  const phases = Object.keys(doc.final_mol_fraction).filter(
    ph => Math.max(...doc.series.map(p => p.mol_fraction[ph])) > 1e-3);
  const data = [hours];
  const series = [{ label: "time (h)" }];
  const bands = [];
  const hidden = [];
  phases.forEach((ph, i) => {
    const color = PALETTE[i % PALETTE.length];
    const mean = doc.series.map(p => p.mol_fraction[ph]);
    data.push(mean);
    series.push({ label: ph, stroke: color, width: 2, value: (u, v) => v == null ? "-" : v.toFixed(4) });
    const err = doc.series.map(p => p.mol_fraction_stderr[ph]);
    if (err.every(e => e != null)) {
      const hi = data.length, lo = data.length + 1;
      data.push(mean.map((m, k) => m + err[k]), mean.map((m, k) => m - err[k]));
      series.push({ label: `${ph} +σ`, stroke: color + "55", width: 1, points: { show: false } },
                  { label: `${ph} −σ`, stroke: color + "55", width: 1, points: { show: false } });
      bands.push({ series: [hi, lo], fill: color + "33" });
      hidden.push(hi, lo);
    }
  });
  const box = document.getElementById("chart");
  const width = Math.max(420, box.clientWidth || 640);
  const opts = {
    width, height: 360, series, bands,
    scales: { x: { time: false }, y: { range: [0, 1] } },
    axes: [{ label: "time (h)" }, { label: "mole fraction" }],
  };
  if (state.chart) state.chart.destroy();
  state.chart = new uPlot(opts, data, box);
  // band edges stay in the chart but not in the legend
  const rows = state.chart.root.querySelectorAll(".u-legend .u-series");
  for (const i of hidden) if (rows[i]) rows[i].style.display = "none";
  const table = document.getElementById("final");
  table.replaceChildren();
  const head = el("tr");
  const draws = (doc.uncertainty || {}).independent_draws;
  for (const h of ["phase", "final mole fraction", "± stderr",
                   `P(largest product), 95 % over ${draws ?? "?"} independent draws`]) {
    head.append(el("th", {}, h));
  }
  table.append(head);
  for (const ph of Object.keys(doc.final_mol_fraction).sort(
    (a, b) => doc.final_mol_fraction[b] - doc.final_mol_fraction[a])) {
    const tr = el("tr");
    const err = doc.final_mol_fraction_stderr[ph];
    tr.append(el("td", {}, ph), el("td", {}, doc.final_mol_fraction[ph].toFixed(4)),
              el("td", {}, err == null ? "-" : err.toFixed(4)),
              el("td", {}, majorityText(doc, ph)));
    table.append(tr);
  }
  document.getElementById("result").dataset.ready = "1";
}

// precursors have no majority probability; predictions cached before the interval show P alone
function majorityText(doc, phase) {
  const p = (doc.majority_probability || {})[phase];
  if (p == null) return "-";
  const range = (doc.majority_probability_interval || {})[phase];
  return range ? `${p.toFixed(2)} [${range[0].toFixed(2)}-${range[1].toFixed(2)}]` : p.toFixed(2);
}

async function runPrediction(event) {
  event.preventDefault();
  const request = readForm();
  setStatus("status", "running…");
  document.getElementById("run").disabled = true;
  try {
    const doc = await api("/api/predict", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request),
    });
    state.prediction = doc;
    plotPrediction(doc);
    setStatus("status", doc.from_cache ? "served from the cache"
      : `done in ${doc.runtime_s.toFixed(1)} s (${doc.cell_updates.toExponential(2)} cell updates)`);
    loadKd();
  } catch (err) {
    setStatus("status", err.message, true);
  } finally {
    document.getElementById("run").disabled = false;
  }
}

function fmt(value, err) {
  if (value == null) return "-";
  return err == null ? value.toExponential(3) : `${value.toExponential(3)} ± ${err.toExponential(1)}`;
}

async function loadKd() {
  const names = Object.keys(readForm().precursors).slice(0, 2);
  const temperature = document.getElementById("kd-temperature").value;
  setStatus("kd-status", "loading…");
  try {
    // {data: rows, meta: {fraction_label, temperature_K, data_from, ...}} as every GET answers
    const body = await api(`/api/kd/ratio?precursors=${encodeURIComponent(names.join(","))}` +
                           `&temperature=${encodeURIComponent(temperature)}`);
    const meta = body.meta;
    state.kd = body;
    const table = document.getElementById("kd-table");
    table.replaceChildren();
    const head = el("tr");
    for (const h of ["phase", meta.fraction_label || "cation fraction", "K_D (cm²/s)",
                     "K_D self (cm²/s)", "source"]) head.append(el("th", {}, h));
    table.append(head);
    for (const row of body.data) {
      const tr = el("tr");
      tr.append(el("td", {}, row.phase),
                el("td", {}, row.fraction == null ? "-" : row.fraction.toFixed(3)),
                el("td", {}, fmt(row.K_D_cm2_s, row.K_D_stderr_cm2_s)),
                el("td", {}, fmt(row.K_D_self_cm2_s, row.K_D_self_stderr_cm2_s)),
                el("td", {}, row.source + (row.interpolated ? " (interpolated)" : "")));
      table.append(tr);
    }
    setStatus("kd-status", `${body.data.length} phases at ${meta.temperature_K} K ` +
                           `(${meta.data_from})`);
  } catch (err) {
    setStatus("kd-status", err.message, true);
  }
}

async function init() {
  document.getElementById("add-precursor").onclick = () => addPrecursor();
  document.getElementById("add-step").onclick = () => addStep();
  document.getElementById("predict-form").addEventListener("submit", runPrediction);
  document.getElementById("kd-load").onclick = loadKd;
  const select = document.getElementById("preset");
  select.onchange = () => applyRecipe(select.value);
  try {
    const body = await api("/api/recipes");
    state.recipes = body.data;
    state.sweepsPerHour = body.meta.sweeps_per_hour;
    for (const r of body.data) select.append(el("option", { value: r.name }, `${r.name}: ${r.description}`));
    select.value = "R4";
    applyRecipe("R4");
  } catch (err) {
    addPrecursor("BaO", 1); addPrecursor("TiO2", 2); addStep(1300, 1);
    setStatus("status", err.message, true);
  }
  document.body.dataset.ready = "1";
}

init();
