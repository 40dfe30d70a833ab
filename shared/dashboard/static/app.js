// The page's behaviour: follows /api/stream (Server-Sent Events, one state
// a second), paints the state, and sends the page's actions (demo load,
// DLQ replay) to the API. Vanilla JavaScript, no build step, no network
// access beyond the dashboard itself.

import { lineChartSvg } from "./chart.js";
import {
  clockTime,
  escapeHtml,
  formatDuration,
  formatMoney,
  formatNumber,
  formatPercent,
  formatRate,
  timeAgo,
} from "./format.js";

const $ = (id) => document.getElementById(id);

const SERIES = [
  { field: "orders", label: "orders in", color: "#2563eb" },
  { field: "processed", label: "processed", color: "#16a34a" },
  { field: "retried", label: "retried", color: "#d97706" },
  { field: "deadLettered", label: "dead-lettered", color: "#dc2626" },
];

let latest = null;

/** Sets an element's text; a changed number briefly flashes. */
function setText(id, text) {
  const el = $(id);
  if (!el || el.textContent === text) return;
  const wasSet = el.textContent !== "–" && el.textContent !== "";
  el.textContent = text;
  if (wasSet) {
    el.classList.remove("bump");
    void el.offsetWidth; // restarts the animation
    el.classList.add("bump");
  }
}

function setPill(id, ok, label, title) {
  const el = $(id);
  el.dataset.tone = ok ? "ok" : "bad";
  el.textContent = label;
  el.title = title ?? "";
}

function renderHeader(state) {
  setText("uptime", formatDuration(state.uptimeSeconds));
  const { aggregator, kafka } = state.sources;
  setPill(
    "src-aggregator",
    aggregator.ok,
    aggregator.ok ? "aggregator" : "aggregator down",
    aggregator.error ? `${aggregator.at}: ${aggregator.error}` : aggregator.at,
  );
  setPill("src-kafka", kafka.ok, kafka.ok ? "kafka" : "kafka down", kafka.error ?? kafka.at);
  const { stock } = state.sources;
  setPill("src-stock", stock.ok, stock.ok ? "stock" : "stock down", stock.error ?? stock.at);
}

/** Each SKU's units on hand from the inventory change log; low ones marked and listed first. */
function renderStock(stock) {
  $("stock-note").textContent = `from ${stock.topic}: ${
    formatNumber(stock.changes)
  } changes read · low at ≤ ${formatNumber(stock.threshold)} · ${formatNumber(stock.lowCount)} low`;
  if (!stock.rows.length) {
    $("stock").innerHTML = `<div class="empty-note">No stock changes yet.</div>`;
    return;
  }
  $("stock").innerHTML =
    `<table id="stock-table"><thead><tr><th>SKU</th><th class="num">On hand</th><th>Level</th><th class="num">Changes</th><th>Last change</th></tr></thead><tbody>${
      stock.rows.map((r) =>
        `<tr data-sku="${escapeHtml(r.sku)}" class="${r.low ? "low-stock" : ""}"><td>${
          escapeHtml(r.sku)
        }</td><td class="num on-hand">${formatNumber(r.onHand)}</td><td>${
          r.low
            ? `<span class="badge" data-tone="bad">low</span>`
            : `<span class="badge" data-tone="ok">ok</span>`
        }</td><td class="num">${formatNumber(r.sequence)}</td><td>${clockTime(r.at)}</td></tr>`
      ).join("")
    }</tbody></table>`;
}

function renderLoad(load) {
  const running = load.running;
  $("load-stop").disabled = !running;
  $("load-start").textContent = running ? "Change rate" : "Start load";
  const note = running
    ? `Running at ${formatRate(load.rate)} orders/s into ${load.topic} since ${
      clockTime(load.startedAt)
    } · ${formatNumber(load.sent)} sent, ${formatNumber(load.invalid)} invalid on purpose`
    : `No load is running.${
      load.sent ? ` ${formatNumber(load.sent)} orders sent from this page so far.` : ""
    }${load.error ? ` The last run stopped: ${load.error}` : ""}`;
  const el = $("load-state");
  el.textContent = note;
  el.classList.toggle("muted", !running);
}

function renderCards(state) {
  const s = state.stats;
  if (s) {
    setText("card-orders-in", formatNumber(s.producer.ordersIn));
    setText("card-orders-valid", formatNumber(s.producer.valid));
    setText("card-orders-invalid", formatNumber(s.producer.invalid));
    setText("card-rate", formatRate(s.producer.ratePerSec));
    setText("card-processed", formatNumber(s.consumer.processed));
    setText("card-success-rate", formatPercent(s.consumer.successRate));
    setText("card-processed-rate", formatRate(s.consumer.processedPerSec));
    setText("card-average", formatMoney(s.consumer.averagePrice));
    setText("card-revenue", formatMoney(s.consumer.revenue));
    setText("card-sales", formatNumber(s.consumer.sales));
    setText("card-retried", formatNumber(s.consumer.retried));
    setText("card-refused", formatNumber(s.consumer.refused));
    setText("card-dead", formatNumber(s.consumer.deadLettered));
    setText(
      "card-dead-classes",
      s.deadLetteredByClass.map((c) => `${c.name} ${formatNumber(c.count)}`).join(" · ") ||
        "none",
    );
  }
  setText("card-lag", formatNumber(state.lag.total));
  const behind = state.lag.groups.filter((g) => g.total > 0).length;
  setText("card-lag-sub", `${behind} of ${state.lag.groups.length} groups behind`);
}

function renderChart(state) {
  $("chart").innerHTML = lineChartSvg(state.throughput, SERIES, { width: 720, height: 230 });
  const last = state.throughput.at(-1) ?? {};
  $("legend").innerHTML = SERIES.map((s) =>
    `<span><i style="background:${s.color}"></i>${s.label} <b>${
      formatRate(last[s.field] ?? 0)
    }</b>/s</span>`
  ).join("");
}

function bars(rows) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return rows.map((r) =>
    `<div class="bar"><span class="name" title="${escapeHtml(r.name)}">${
      escapeHtml(r.name)
    }</span><span class="track"><span class="fill" style="width:${
      (100 * r.value / max).toFixed(1)
    }%"></span></span><span class="n">${escapeHtml(r.label)}</span></div>`
  ).join("");
}

function renderMix(state) {
  const s = state.stats;
  $("by-type").innerHTML = s && s.producer.byType.length
    ? bars(
      s.producer.byType.map((t) => ({
        name: t.name,
        value: t.count,
        label: formatNumber(t.count),
      })),
    )
    : `<div class="empty-note">No orders yet.</div>`;
  $("top-products").innerHTML = s && s.topProducts.length
    ? bars(s.topProducts.map((p) => ({
      name: p.name ?? p.sku,
      value: p.units,
      label: `${formatNumber(p.units)} u`,
    })))
    : `<div class="empty-note">No sales yet.</div>`;
}

function renderLag(lag) {
  $("lag-read").textContent = lag.readAt ? `read ${clockTime(lag.readAt)}` : "";
  if (!lag.groups.length) {
    $("lag").innerHTML = `<div class="empty-note">No groups to watch (see --lag).</div>`;
    return;
  }
  const max = Math.max(1, ...lag.groups.flatMap((g) => g.partitions.map((p) => p.lag)));
  const rows = lag.groups.flatMap((g) => {
    const head = `<tr class="group-row"><td>${escapeHtml(g.group)}</td><td>${
      escapeHtml(g.topic)
    }</td><td></td><td class="num"></td><td class="num"></td><td class="num">${
      g.error
        ? `<span class="badge" data-tone="muted">${escapeHtml(g.error)}</span>`
        : formatNumber(g.total)
    }</td></tr>`;
    const parts = g.partitions.map((p) =>
      `<tr><td></td><td></td><td class="num">${p.partition}</td><td class="num">${
        p.committed < 0 ? "–" : formatNumber(p.committed)
      }</td><td class="num">${formatNumber(p.end)}</td><td class="num">${formatNumber(p.lag)}${
        p.lag > 0
          ? `<span class="lagbar" style="width:${Math.max(3, 60 * p.lag / max)}px"></span>`
          : ""
      }</td></tr>`
    );
    return [head, ...parts];
  });
  $("lag").innerHTML =
    `<table id="lag-table"><thead><tr><th>Group</th><th>Topic</th><th class="num">Partition</th><th class="num">Committed</th><th class="num">End</th><th class="num">Lag</th></tr></thead><tbody>${
      rows.join("")
    }</tbody></table>`;
}

function renderProcesses(processes) {
  if (!processes.length) {
    $("processes").innerHTML =
      `<div class="empty-note">No processes to scrape (see --scrape).</div>`;
    return;
  }
  const cell = (v) => `<td class="num">${v === undefined ? "–" : formatNumber(v)}</td>`;
  $("processes").innerHTML =
    `<table><thead><tr><th>Process</th><th>State</th><th class="num">In</th><th class="num">In/s</th><th class="num">Out</th><th class="num">Retried</th><th class="num">DLQ</th></tr></thead><tbody>${
      processes.map((p) =>
        `<tr><td title="${escapeHtml(p.url)}">${
          escapeHtml(p.name)
        }</td><td><span class="badge" data-tone="${p.up ? "ok" : "muted"}">${
          p.up ? "up" : "down"
        }</span></td>${cell(p.consumed)}<td class="num">${
          p.consumedPerSec === undefined ? "–" : formatRate(p.consumedPerSec)
        }</td>${cell(p.produced)}${cell(p.retried)}${cell(p.deadLettered)}</tr>`
      ).join("")
    }</tbody></table>`;
}

function renderOrders(state) {
  const orders = state.recentOrders;
  $("orders-note").textContent = state.sources.tail.ok
    ? `following ${state.load.topic}`
    : `not following yet: ${state.sources.tail.error ?? "starting"}`;
  if (!orders.length) {
    $("orders").innerHTML =
      `<div class="empty-note">Waiting for orders… (start the demo load above, or send some to the gateway)</div>`;
    return;
  }
  const now = Date.parse(state.generatedAt);
  $("orders").innerHTML =
    `<table id="orders-table"><thead><tr><th>Seen</th><th>Order</th><th>Type</th><th>Customer</th><th class="num">Items</th><th class="num">Total</th><th>Status</th><th>Detail</th></tr></thead><tbody>${
      orders.map((o) =>
        `<tr data-order="${escapeHtml(o.orderId)}"><td title="${clockTime(o.seenAt)}">${
          timeAgo(o.seenAt, now)
        }</td><td class="mono">${escapeHtml(o.orderId)}</td><td>${escapeHtml(o.type)}</td><td>${
          escapeHtml(o.customerId ?? "–")
        }</td><td class="num">${o.items}</td><td class="num">${
          o.total === null ? "–" : formatMoney(o.total)
        }</td><td><span class="badge" data-tone="${o.tone}">${
          escapeHtml(o.status.replaceAll("_", " "))
        }</span></td><td class="reason muted" title="${escapeHtml(o.reason ?? "")}">${
          escapeHtml(o.reason ?? "")
        }</td></tr>`
      ).join("")
    }</tbody></table>`;
}

function renderDlq(dlq) {
  $("dlq-refresh").disabled = dlq.refreshing;
  $("dlq").innerHTML = dlq.topics.map((t) => {
    const head = `<h4><span class="mono">${escapeHtml(t.topic)}</span><span class="muted small">${
      t.exists
        ? `${formatNumber(t.total)} records · ${t.groups.length} rules · ${
          formatNumber(t.replayed)
        } replayed · read ${t.readAt ? clockTime(t.readAt) : "–"}`
        : t.readAt
        ? "no such topic yet: nothing dead-lettered here"
        : "reading…"
    }</span>${
      t.error ? `<span class="badge" data-tone="bad">${escapeHtml(t.error)}</span>` : ""
    }</h4>`;
    if (!t.groups.length) {
      return `<div class="dlq-topic" data-topic="${escapeHtml(t.topic)}">${head}${
        t.exists ? `<div class="empty-note">Empty.</div>` : ""
      }</div>`;
    }
    const rows = t.groups.map((g) =>
      `<tr data-rule="${escapeHtml(g.rule)}"><td class="reason" title="${escapeHtml(g.rule)}">${
        escapeHtml(g.rule)
      }</td><td class="samples mono" title="${escapeHtml(samplesText(g))}">${
        escapeHtml(samplesText(g))
      }</td><td>${
        g.errorClasses.map((c) => `<span class="badge" data-tone="bad">${escapeHtml(c)}</span>`)
          .join(" ")
      }${
        g.allValidation
          ? ` <span class="badge" data-tone="warn" title="replayed unchanged, these records fail validation again">fails again</span>`
          : ""
      }</td><td class="muted">${escapeHtml(g.stages.join(", "))}</td><td class="num">${
        formatNumber(g.count)
      }</td><td class="num">${formatNumber(g.replayed)}</td><td>${
        g.newest ? clockTime(g.newest) : "–"
      }</td><td class="muted mono">${
        escapeHtml(g.replayTopics.join(", "))
      }</td><td>${`<button type="button" class="danger replay" data-topic="${
        escapeHtml(t.topic)
      }" data-rule="${escapeHtml(g.rule)}" ${g.pending > 0 ? "" : "disabled"}>${
        g.pending > 0 ? `Replay ${formatNumber(g.pending)}` : "Replayed"
      }</button>`}</td></tr>`
    ).join("");
    return `<div class="dlq-topic" data-topic="${
      escapeHtml(t.topic)
    }">${head}<table class="dlq-table"><thead><tr><th>Rule</th><th>Sample values</th><th>Class</th><th>Stage</th><th class="num">Count</th><th class="num">Replayed</th><th>Newest</th><th>Replays to</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`;
  }).join("");
}

/** A group's sample values: a few distinct ones, and how many there are in all. */
function samplesText(g) {
  if (!g.samples.length) return "–";
  const more = g.distinctValues > g.samples.length ? `, … ${g.distinctValues} values` : "";
  return g.samples.join(", ") + more;
}

/** Remembers which buttons are busy across repaints (the stream repaints every second). */
const busy = new Set();

function render(state) {
  latest = state;
  renderHeader(state);
  renderLoad(state.load);
  renderCards(state);
  renderChart(state);
  renderMix(state);
  renderLag(state.lag);
  renderProcesses(state.processes);
  renderStock(state.stock);
  renderOrders(state);
  renderDlq(state.dlq);
  for (const button of document.querySelectorAll("button.replay")) {
    if (busy.has(`${button.dataset.topic}\n${button.dataset.rule}`)) {
      button.disabled = true;
      button.textContent = "Replaying…";
    }
  }
}

function showResult(text, tone = "ok") {
  const el = $("dlq-result");
  el.hidden = false;
  el.dataset.tone = tone;
  el.textContent = text;
}

/** An API call; a refusal throws an error with the response's status and body. */
async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw Object.assign(new Error(data.error ?? `HTTP ${res.status}`), {
      status: res.status,
      data,
    });
  }
  return data;
}

/**
 * Replays one rule's group. A group that all failed validation is refused
 * (409) with its one-line warning; the user may confirm, and it goes again
 * forced (say, after the validator was fixed).
 */
async function replay(topic, rule) {
  const key = `${topic}\n${rule}`;
  busy.add(key);
  if (latest) render(latest);
  try {
    let r;
    try {
      r = await api("POST", "/api/dlq/replay", { topic, rule });
    } catch (err) {
      if (err.status !== 409) throw err;
      if (!confirm(`${err.message}.\n\nReplay them anyway?`)) {
        showResult(`Not replayed: ${err.message}.`, "warn");
        return;
      }
      r = await api("POST", "/api/dlq/replay", { topic, rule, force: true });
    }
    const where = Object.entries(r.to).map(([t, n]) => `${n} to ${t}`).join(", ");
    showResult(
      r.replayed > 0
        ? `Replayed ${r.replayed} record${r.replayed === 1 ? "" : "s"} of “${rule}” (${where}).`
        : `Nothing to replay for “${rule}”: ${r.alreadyReplayed} already replayed.`,
    );
  } catch (err) {
    showResult(`Replay failed: ${err.message}`, "bad");
  } finally {
    busy.delete(key);
    if (latest) render(latest);
  }
}

function connect() {
  const source = new EventSource("/api/stream");
  source.addEventListener("open", () => {
    $("conn").dataset.tone = "ok";
    $("conn").textContent = "live";
  });
  source.addEventListener("state", (e) => render(JSON.parse(e.data)));
  source.addEventListener("error", () => {
    // EventSource reconnects by itself (the server asks for 2 s).
    $("conn").dataset.tone = "bad";
    $("conn").textContent = "reconnecting…";
  });
}

$("load-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const load = await api("POST", "/api/load", { rate: Number($("load-rate").value) });
    if (latest) render({ ...latest, load: { ...load, topic: latest.load.topic } });
  } catch (err) {
    $("load-state").textContent = `Could not start the load: ${err.message}`;
  }
});
$("load-stop").addEventListener("click", async () => {
  $("load-stop").disabled = true;
  try {
    const load = await api("DELETE", "/api/load");
    if (latest) render({ ...latest, load: { ...load, topic: latest.load.topic } });
  } catch (err) {
    $("load-state").textContent = `Could not stop the load: ${err.message}`;
  }
});
$("dlq-refresh").addEventListener("click", () => {
  $("dlq-refresh").disabled = true;
  api("POST", "/api/dlq/refresh").catch((err) =>
    showResult(`Refresh failed: ${err.message}`, "bad")
  );
});
$("dlq").addEventListener("click", (e) => {
  const button = e.target.closest("button.replay");
  if (button && !button.disabled) replay(button.dataset.topic, button.dataset.rule);
});

connect();
