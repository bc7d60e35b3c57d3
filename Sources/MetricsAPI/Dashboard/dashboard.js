/* cryptometrics dashboard: a hash-routed page over the JSON API.
 *
 *   #/              overview of every metric (virtualized table, live values)
 *   #/metric/{id}   one metric: SVG chart of its history, extended live, and its statistics
 *   #/rankings      rankings per metric type, window and measure, paged
 *   #/status        upstream status of the polling process
 *
 * The page runs under a strict Content-Security-Policy: no inline scripts or styles, no eval.
 * So the DOM is built with createElement/textContent (API strings never go through innerHTML),
 * styles live in dashboard.css, and the script only sets a few CSSOM properties.
 *
 * Test hooks on <html>: data-stream, data-samples-received, data-view, data-ready.
 */
"use strict";

(function () {
  const root = document.documentElement;
  const app = document.getElementById("app");
  const connEl = document.getElementById("conn");
  const toastsEl = document.getElementById("toasts");
  const mainEl = document.getElementById("content");

  const WINDOWS = ["1h", "24h", "7d"];
  const WINDOW_MS = { "1h": 3600e3, "24h": 86400e3, "7d": 7 * 86400e3 };
  const TYPES = ["price", "volume"];
  const MEASURES = [
    { by: "stddev", field: "standard_deviation", label: "Std dev", long: "standard deviation" },
    { by: "cv", field: "coefficient_of_variation", label: "CV", long: "coefficient of variation" },
    { by: "log_return_volatility", field: "log_return_volatility", label: "Log-return vol.", long: "log-return volatility" },
  ];
  const DASH = "\u2014";

  /* What the reader chose, kept while they move between views (not persisted). */
  const prefs = {
    overviewWindow: "24h",
    sort: "ticker",
    dir: "asc",
    query: "",
    scrollTop: 0,
    metricWindow: "24h",
    rankType: "price",
    rankWindow: "24h",
    rankBy: "stddev",
  };

  /* The last overview per window, so the metric view can show a sample count the
   * /metrics/{id} answer does not carry. */
  const overviewCache = new Map();

  // ---------------------------------------------------------------- DOM helpers

  /** Sets attributes from a plain object: `class`, `text`, `data: {...}`, `on: {event: fn}`;
   *  null/undefined/false skip the attribute, true sets it empty. Never a style attribute. */
  function applyProps(node, props) {
    if (!props) return;
    for (const key of Object.keys(props)) {
      const v = props[key];
      if (v === null || v === undefined || v === false) continue;
      if (key === "text") node.textContent = v;
      else if (key === "on") for (const type of Object.keys(v)) node.addEventListener(type, v[type]);
      else if (key === "data") {
        for (const dk of Object.keys(v)) if (v[dk] !== null && v[dk] !== undefined) node.dataset[dk] = String(v[dk]);
      } else if (key !== "style") node.setAttribute(key, v === true ? "" : String(v));
    }
  }

  function appendKids(node, kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      node.append(kid instanceof Node ? kid : String(kid));
    }
  }

  function el(tag, props, ...kids) {
    const node = document.createElement(tag);
    applyProps(node, props);
    appendKids(node, kids);
    return node;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  function svgEl(tag, props, ...kids) {
    const node = document.createElementNS(SVG_NS, tag);
    applyProps(node, props);
    appendKids(node, kids);
    return node;
  }

  /** A row of toggle buttons (aria-pressed) under a visible label. */
  function segmented(labelText, idBase, items, selected, attr, onPick) {
    const labelId = idBase + "-label";
    const group = el("div", { class: "segmented", role: "group", "aria-labelledby": labelId });
    for (const item of items) {
      const b = el("button", { type: "button", "aria-pressed": String(item.value === selected) }, item.label);
      b.setAttribute("data-" + attr, item.value);
      b.addEventListener("click", () => onPick(item.value));
      group.append(b);
    }
    const wrap = el("div", { class: "field" }, el("span", { class: "group-label", id: labelId }, labelText), group);
    wrap.press = (value) => {
      for (const b of group.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.getAttribute("data-" + attr) === value));
    };
    return wrap;
  }

  function setNotice(node, kind, message, detail, extra) {
    if (!kind) {
      node.hidden = true;
      node.replaceChildren();
      return;
    }
    node.hidden = false;
    node.className = "notice" + (kind === "error" ? " error" : "");
    node.replaceChildren(el("p", null, message));
    if (detail) node.append(el("p", { class: "detail" }, detail));
    if (extra) node.append(extra);
  }

  // ---------------------------------------------------------------- formatting

  const nfCache = new Map();
  function nf(opts) {
    const key = JSON.stringify(opts);
    let f = nfCache.get(key);
    if (!f) {
      f = new Intl.NumberFormat(undefined, opts);
      nfCache.set(key, f);
    }
    return f;
  }
  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  // Intl writes a hyphen-minus for negatives; a real minus sign reads better in tables.
  const minus = (s) => s.replace(/-/g, "\u2212");

  /** Prices and volumes: cents for big numbers, more digits for small ones. */
  function fmtValue(v) {
    if (!isNum(v)) return DASH;
    const a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e7) return minus(nf({ maximumFractionDigits: 0 }).format(v));
    if (a >= 1000) return minus(nf({ minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v));
    if (a >= 1) return minus(nf({ minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(v));
    return minus(nf({ maximumSignificantDigits: 4 }).format(v));
  }

  /** A ratio (0.0028) as a percentage (0.28%), with two significant digits when tiny. */
  function fmtRatio(r) {
    if (!isNum(r)) return DASH;
    const a = Math.abs(r);
    if (a === 0) return nf({ style: "percent" }).format(0);
    if (a >= 0.001) return minus(nf({ style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(r));
    return minus(nf({ style: "percent", maximumSignificantDigits: 2 }).format(r));
  }

  /** A change already in percent (1.3 means +1.30%). */
  function fmtChange(p) {
    if (!isNum(p)) return DASH;
    return minus(nf({ style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: "exceptZero" }).format(p / 100));
  }

  /** Log-return volatility: three significant digits, scientific when very small. */
  function fmtVol(v) {
    if (!isNum(v)) return DASH;
    const a = Math.abs(v);
    if (a !== 0 && a < 1e-4) return minus(nf({ notation: "scientific", maximumSignificantDigits: 3 }).format(v));
    return minus(nf({ maximumSignificantDigits: 3 }).format(v));
  }

  function fmtCount(n) {
    return isNum(n) ? nf({ maximumFractionDigits: 0 }).format(n) : DASH;
  }

  function plural(n, word) {
    return fmtCount(n) + " " + word + (n === 1 ? "" : "s");
  }

  const FIELD_FORMAT = {
    value: fmtValue,
    change_1h: fmtChange,
    change_24h: fmtChange,
    standard_deviation: fmtValue,
    coefficient_of_variation: fmtRatio,
    log_return_volatility: fmtVol,
  };

  const dtfCache = new Map();
  function dtf(opts) {
    const key = JSON.stringify(opts);
    let f = dtfCache.get(key);
    if (!f) {
      f = new Intl.DateTimeFormat(undefined, opts);
      dtfCache.set(key, f);
    }
    return f;
  }
  const TIME_ZONE = (() => {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
    } catch (e) {
      return "local time";
    }
  })();
  const HMS = { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  const FULL = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" };
  const SHORT = { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" };

  function sameLocalDay(a, b) {
    const x = new Date(a), y = new Date(b);
    return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
  }
  /** Time of day if today, else date and time. */
  function fmtClock(ms) {
    return sameLocalDay(ms, Date.now()) ? dtf(HMS).format(ms) : dtf(SHORT).format(ms);
  }
  function fmtAgo(ms) {
    const s = Math.round((ms - Date.now()) / 1000);
    const rtf = fmtAgo.rtf || (fmtAgo.rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }));
    const a = Math.abs(s);
    if (a < 60) return rtf.format(s, "second");
    if (a < 3600) return rtf.format(Math.round(s / 60), "minute");
    if (a < 86400) return rtf.format(Math.round(s / 3600), "hour");
    return rtf.format(Math.round(s / 86400), "day");
  }
  function parseTime(iso) {
    const ms = typeof iso === "string" ? Date.parse(iso) : NaN;
    return Number.isFinite(ms) ? ms : null;
  }
  /** A <time> element: local clock time, relative age, full date in the tooltip. */
  function timeNode(iso, withAgo) {
    const ms = parseTime(iso);
    if (ms === null) return DASH;
    return el("time", { datetime: iso, title: dtf(FULL).format(ms) + " (" + TIME_ZONE + ")" }, fmtClock(ms) + (withAgo ? " (" + fmtAgo(ms) + ")" : ""));
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }
  class NetworkError extends Error {}
  const isAbort = (e) => e && e.name === "AbortError";

  /** GET a JSON document. Non-2xx answers become ApiError with the body's `error` message. */
  async function getJSON(url, signal) {
    let res;
    try {
      res = await fetch(url, { signal, cache: "no-store", headers: { Accept: "application/json" } });
    } catch (e) {
      if (isAbort(e)) throw e;
      throw new NetworkError("Cannot reach the server");
    }
    let body = null;
    try {
      body = await res.json();
    } catch (e) {
      if (isAbort(e)) throw e;
    }
    if (!res.ok) {
      const msg = body && typeof body.error === "string" ? body.error : "The server answered " + res.status + " " + res.statusText;
      throw new ApiError(res.status, msg);
    }
    if (body === null || typeof body !== "object") throw new ApiError(res.status, "The server's answer is not JSON.");
    return body;
  }

  const backoff = (attempt) => Math.min(30000, 1000 * Math.pow(2, attempt));

  /** Shows what went wrong with a load and schedules the retry the spec asks for:
   *  503 (first load still running) every 2 s, unreachable with backoff, other 5xx with backoff,
   *  4xx not at all (the request itself is wrong). */
  function reportLoadError(err, notice, state, later) {
    if (err instanceof NetworkError) {
      const wait = backoff(state.attempt++);
      setNotice(notice, "error", "Cannot reach the server", "Trying again in " + Math.round(wait / 1000) + " s\u2026");
      later(wait);
    } else if (err instanceof ApiError && err.status === 503) {
      setNotice(notice, "info", "No data yet \u2014 waiting for the first samples", err.message);
      later(2000);
    } else if (err instanceof ApiError && err.status >= 500) {
      const wait = backoff(state.attempt++);
      setNotice(notice, "error", err.message, "Trying again in " + Math.round(wait / 1000) + " s\u2026");
      later(wait);
    } else {
      setNotice(notice, "error", err && err.message ? err.message : String(err));
    }
  }

  /** The fetch-and-render cycle every view shares. One request at a time (a newer one aborts the
   *  older); data-ready is "false" while a visible (not quiet) load runs; failures go to the
   *  view's notice with the retry policy above, and a 4xx counts as rendered (it is an answer).
   *  `apply(data)` renders and returns {ready, again}: mark the view ready, load again (quietly)
   *  after `again` ms. `onFail(err)` may add to what the notice says. */
  function makeLoader(scope, view, notice, url, apply, onFail) {
    const state = { attempt: 0 };
    let ctl = null;
    let timer = 0;
    async function load(quiet) {
      scope.cancel(timer);
      if (ctl) ctl.abort();
      const mine = (ctl = scope.child());
      if (!quiet) root.dataset.ready = "false";
      let data;
      try {
        data = await getJSON(url(), mine.signal);
      } catch (err) {
        if (isAbort(err) || !scope.alive) return;
        reportLoadError(err, notice, state, (ms) => (timer = scope.later(() => load(quiet), ms)));
        if (onFail) onFail(err);
        if (err instanceof ApiError && err.status < 500 && err.status !== 503) markReady(scope, view);
        return;
      }
      if (!scope.alive || mine.signal.aborted) return;
      state.attempt = 0;
      setNotice(notice, null);
      const r = apply(data) || {};
      if (r.again) timer = scope.later(() => load(true), r.again);
      if (r.ready) markReady(scope, view);
    }
    return load;
  }

  // ---------------------------------------------------------------- view scope

  /** Everything a view starts (fetches, timers) ends when the reader leaves it. */
  function makeScope() {
    const ctl = new AbortController();
    const timers = new Set();
    const cleanups = [];
    return {
      signal: ctl.signal,
      get alive() {
        return !ctl.signal.aborted;
      },
      later(fn, ms) {
        const id = setTimeout(() => {
          timers.delete(id);
          if (!ctl.signal.aborted) fn();
        }, ms);
        timers.add(id);
        return id;
      },
      cancel(id) {
        clearTimeout(id);
        timers.delete(id);
      },
      /** A controller for one request, aborted with the scope. */
      child() {
        const c = new AbortController();
        ctl.signal.addEventListener("abort", () => c.abort(), { once: true });
        return c;
      },
      onDispose(fn) {
        cleanups.push(fn);
      },
      dispose() {
        ctl.abort();
        for (const id of timers) clearTimeout(id);
        timers.clear();
        for (const fn of cleanups) {
          try {
            fn();
          } catch (e) {
            /* a cleanup must not stop the others */
          }
        }
      },
    };
  }

  function markReady(scope, view) {
    if (!scope.alive) return;
    root.dataset.view = view;
    root.dataset.ready = "true";
  }

  /** Replaces the hash without a hashchange (so the view keeps its DOM and focus). */
  function setHash(hash) {
    if (location.hash !== hash) history.replaceState(history.state, "", location.pathname + location.search + hash);
  }

  // ---------------------------------------------------------------- live stream

  const stream = { es: null, query: null, errors: 0, timer: 0, received: 0 };
  const STREAM_LABEL = { connecting: "Connecting\u2026", live: "Live", reconnecting: "Reconnecting\u2026", offline: "Offline" };
  const STREAM_TITLE = {
    connecting: "Connecting to the live stream",
    live: "Receiving live samples",
    reconnecting: "The live stream dropped; reconnecting",
    offline: "No connection to the live stream",
  };

  function setStreamState(s) {
    root.dataset.stream = s;
    connEl.dataset.state = s;
    connEl.title = STREAM_TITLE[s];
    connEl.querySelector(".conn-text").textContent = STREAM_LABEL[s];
  }

  /** One EventSource at a time; `query` filters it (`metrics=1`) or is "" for all metrics. */
  function ensureStream(query) {
    if (stream.es && stream.query === query && stream.es.readyState !== EventSource.CLOSED) return;
    openStream(query, false);
  }

  function openStream(query, retrying) {
    clearTimeout(stream.timer);
    if (stream.es) stream.es.close();
    stream.es = null;
    stream.query = query;
    if (typeof EventSource !== "function") {
      setStreamState("offline");
      return;
    }
    const es = new EventSource("/stream" + (query ? "?" + query : ""));
    stream.es = es;
    if (!retrying) setStreamState("connecting");
    es.addEventListener("open", () => {
      if (es !== stream.es) return;
      stream.errors = 0;
      setStreamState("live");
      // A new EventSource cannot resume (no Last-Event-ID): what was missed meanwhile is fetched.
      if (retrying && current && current.reload) current.reload();
    });
    es.addEventListener("error", () => {
      if (es !== stream.es) return;
      stream.errors++;
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (an HTTP error or a wrong content type): try again ourselves.
        setStreamState("offline");
        es.close();
        stream.timer = setTimeout(() => openStream(stream.query, true), backoff(Math.min(stream.errors, 6)));
      } else {
        // EventSource reconnects by itself and resumes with Last-Event-ID.
        setStreamState(stream.errors >= 3 || !navigator.onLine ? "offline" : "reconnecting");
      }
    });
    es.addEventListener("sample", (ev) => {
      stream.received++;
      root.dataset.samplesReceived = String(stream.received);
      let d;
      try {
        d = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      if (d && typeof d === "object" && isNum(d.id) && current && current.onSample) current.onSample(d);
    });
    es.addEventListener("reset", () => {
      // The server dropped events for us: the view's data may be stale, fetch it again.
      if (current && current.reload) current.reload();
    });
    es.addEventListener("alert", (ev) => {
      let d;
      try {
        d = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      showAlert(d);
    });
  }

  window.addEventListener("offline", () => setStreamState("offline"));
  window.addEventListener("online", () => {
    if (!stream.es || stream.es.readyState === EventSource.CLOSED) openStream(stream.query || "", true);
  });

  // ---------------------------------------------------------------- toasts

  function showToast(children, href) {
    const close = el("button", { type: "button", "aria-label": "Dismiss" }, "\u00d7");
    const text = el("p", null, children);
    if (href) text.append(" ", el("a", { href }, "Open"));
    const toast = el("div", { class: "toast" }, text, close);
    const remove = () => toast.remove();
    close.addEventListener("click", remove);
    toastsEl.append(toast);
    while (toastsEl.children.length > 3) toastsEl.firstElementChild.remove();
    setTimeout(remove, 10000);
  }

  /** An alert event: `{"type":"alert.firing","data":{ticker, metric_type, metric_id, value, rule...}}`
   *  or a flat object; anything else is shown as well as we can. */
  function showAlert(d) {
    if (!d || typeof d !== "object") return;
    const inner = d.data && typeof d.data === "object" ? d.data : d;
    const resolved = typeof d.type === "string" && d.type.indexOf("resolved") >= 0;
    const words = [resolved ? "Resolved:" : "Alert:"];
    if (typeof inner.ticker === "string") words.push(inner.ticker);
    if (typeof inner.metric_type === "string") words.push(inner.metric_type);
    if (isNum(inner.value)) words.push("at " + fmtValue(inner.value));
    if (inner.rule && typeof inner.rule.kind === "string") words.push("(" + inner.rule.kind + " rule)");
    if (typeof inner.message === "string") words.push(inner.message);
    showToast(words.join(" "), isNum(inner.metric_id) ? "#/metric/" + inner.metric_id : null);
  }

  /** "KRAKEN:BTCUSD" with a line-break opportunity after the colon (same text content). */
  function tickerWithBreak(ticker) {
    const t = String(ticker || "");
    const i = t.indexOf(":");
    return i < 0 ? t : [t.slice(0, i + 1), el("wbr"), t.slice(i + 1)];
  }

  // ---------------------------------------------------------------- sparkline

  function sparkline(values) {
    const vs = Array.isArray(values) ? values.filter(isNum) : [];
    const svg = svgEl("svg", { class: "sparkline", viewBox: "0 0 96 24", preserveAspectRatio: "none", "aria-hidden": "true", focusable: "false" });
    if (vs.length < 2) return svg;
    let lo = Infinity, hi = -Infinity;
    for (const v of vs) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const span = hi - lo || 1;
    const pts = vs.map((v, i) => (i * 96 / (vs.length - 1)).toFixed(1) + "," + (22 - (v - lo) / span * 20).toFixed(1));
    svg.classList.add(vs[vs.length - 1] >= vs[0] ? "up" : "down");
    svg.append(svgEl("polyline", { points: pts.join(" ") }));
    return svg;
  }

  // ---------------------------------------------------------------- overview

  const COLUMNS = [
    { field: "ticker", label: "Ticker" },
    { field: "metric_type", label: "Type" },
    { field: "value", label: "Value", num: true },
    { field: "change_1h", label: "1h", num: true, title: "Change over the last hour" },
    { field: "change_24h", label: "24h", num: true, title: "Change over the last 24 hours" },
    { field: "standard_deviation", label: "Std dev", num: true, title: "Standard deviation over the window" },
    { field: "coefficient_of_variation", label: "CV", num: true, title: "Coefficient of variation (std dev / mean)" },
    { field: "log_return_volatility", label: "Log-return vol.", num: true, title: "Volatility of the log returns" },
    { field: "rank", label: "Rank", num: true, title: "Rank by std dev among metrics of the same type" },
    { field: "sparkline", label: "Trend", sortable: false, title: "Values over the window" },
  ];
  const SORT_ALIASES = {
    type: "metric_type", stddev: "standard_deviation", std_dev: "standard_deviation", cv: "coefficient_of_variation",
    log_return_vol: "log_return_volatility", lrv: "log_return_volatility", "1h": "change_1h", "24h": "change_24h",
  };
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  /** The server-rendered table (the page without JavaScript). It stays as a placeholder until
   *  the live table has data, then it is replaced. */
  let serverSection = document.getElementById("overview");
  // Before its first load the server writes a "still loading, reload in a moment" note instead of
  // the table; the script retries by itself, so the note goes.
  for (const note of mainEl.querySelectorAll(":scope > p.notice")) note.remove();

  function prepareMetric(m) {
    m._hay = ((m.ticker || "") + " " + (m.metric_type || "")).toLowerCase();
    const k = typeof m.rank === "string" ? parseInt(m.rank, 10) : NaN;
    m._rank = Number.isFinite(k) ? k : null;
    return m;
  }

  function viewOverview(route, scope) {
    const w = route.params.get("window");
    const state = {
      window: WINDOWS.includes(w) ? w : prefs.overviewWindow,
      metrics: [],
      byId: new Map(),
      rows: [],
      loaded: false,
    };
    prefs.overviewWindow = state.window;
    document.title = "Markets \u00b7 cryptometrics";

    // --- skeleton
    const notice = el("div", { class: "notice", role: "status", hidden: true });
    const heading = el("h2", { id: "overview-heading", tabindex: "-1" }, "Markets");
    const summary = el("p", { class: "overview-summary" }, "Loading\u2026");
    const windowSwitch = segmented("Window", "ov-window", WINDOWS.map((x) => ({ value: x, label: x })), state.window, "window", pickWindow);
    const cardsHeading = el("h3", { id: "extremes-heading" }, "Steadiest and most volatile");
    const cards = el("ul", { class: "cards", "aria-labelledby": "extremes-heading" });
    const search = el("input", {
      type: "search", id: "search", autocomplete: "off", spellcheck: "false",
      placeholder: "e.g. btc, kraken, volume", "aria-describedby": "result-count",
    });
    search.value = prefs.query;
    const resultCount = el("p", { class: "muted", id: "result-count", "aria-live": "polite" });
    const caption = el("caption", { class: "visually-hidden" });
    const headRow = el("tr", { "aria-rowindex": "1" });
    const headCells = new Map();
    for (const col of COLUMNS) {
      const th = el("th", { scope: "col", class: "col-" + col.field + (col.num ? " num" : ""), title: col.title || null });
      if (col.sortable === false) th.append(col.label);
      else {
        th.setAttribute("aria-sort", "none");
        const b = el("button", { type: "button", data: { sort: col.field } }, col.label, el("span", { class: "sort-ind", "aria-hidden": "true" }));
        b.addEventListener("click", () => sortBy(col.field));
        th.append(b);
        headCells.set(col.field, th);
      }
      headRow.append(th);
    }
    const thead = el("thead", null, headRow);
    const spacerTop = el("tr", { class: "spacer", "aria-hidden": "true" }, el("td", { colspan: COLUMNS.length }));
    const spacerBottom = el("tr", { class: "spacer", "aria-hidden": "true" }, el("td", { colspan: COLUMNS.length }));
    const tbody = el("tbody", null, spacerTop, spacerBottom);
    const table = el("table", { class: "metrics", "aria-rowcount": "1" }, caption, thead, tbody);
    // A fixed-height viewport; only the rows in view (plus a margin) are in the DOM.
    const scroller = el("div", { class: "table-scroll virtual", role: "region", "aria-label": "Markets table", tabindex: "0" }, table);
    // Everything below the header waits for the first data (an empty table helps nobody).
    const content = el("div", { hidden: true }, cardsHeading, cards,
      el("div", { class: "toolbar" },
        el("div", { class: "field field-search" }, el("label", { for: "search" }, "Filter by ticker or type"), search),
        resultCount),
      scroller);
    const section = el("section", { id: "overview", "aria-labelledby": "overview-heading" },
      el("div", { class: "view-header" }, el("div", null, heading, summary), windowSwitch), content);

    // The snapshot rendered by the server stays in view until the live table has data; the live
    // section (same ids) is attached only then.
    const placeholder = serverSection;
    app.append(notice);
    if (placeholder && placeholder.isConnected) app.append(placeholder);
    else app.append(section);
    const attach = () => {
      if (section.isConnected) return;
      if (placeholder) placeholder.remove();
      serverSection = null;
      app.append(section);
    };

    // --- sorting and filtering
    let sort = COLUMNS.some((c) => c.field === prefs.sort && c.sortable !== false) ? prefs.sort : "ticker";
    let dir = prefs.dir === "desc" ? "desc" : "asc";

    const keyOf = (m, f) => (f === "rank" ? m._rank : m[f]);
    function compare(a, b) {
      const va = keyOf(a, sort), vb = keyOf(b, sort);
      const na = va === null || va === undefined, nb = vb === null || vb === undefined;
      let c;
      if (na || nb) return na && nb ? collator.compare(a.ticker, b.ticker) : na ? 1 : -1; // missing values last, either way
      if (typeof va === "string" || typeof vb === "string") c = collator.compare(String(va), String(vb));
      else c = va - vb;
      if (c === 0) c = collator.compare(a.ticker, b.ticker) || a.id - b.id;
      return dir === "asc" ? c : -c;
    }

    function label(field) {
      return COLUMNS.find((c) => c.field === field).label;
    }

    function applyView(resetScroll) {
      const terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      state.rows = terms.length ? state.metrics.filter((m) => terms.every((t) => m._hay.indexOf(t) >= 0)) : state.metrics.slice();
      state.rows.sort(compare);
      for (const [field, th] of headCells) {
        th.setAttribute("aria-sort", field === sort ? (dir === "asc" ? "ascending" : "descending") : "none");
        th.querySelector(".sort-ind").textContent = field === sort ? (dir === "asc" ? "\u25b2" : "\u25bc") : "";
      }
      const n = state.metrics.length;
      const sortText = "sorted by " + label(sort) + " " + (dir === "asc" ? "ascending" : "descending");
      content.hidden = n === 0;
      summary.textContent = n ? plural(n, "metric") + ", window " + state.window + ", " + sortText + ". Values update live." : "Window " + state.window + ".";
      caption.textContent = "Markets, window " + state.window + ", " + sortText + ".";
      resultCount.textContent = terms.length ? "Showing " + fmtCount(state.rows.length) + " of " + fmtCount(n) : "";
      table.setAttribute("aria-rowcount", String(state.rows.length + 1));
      if (resetScroll) scroller.scrollTop = 0;
      rowsChanged = true;
      sizeScroller();
      renderWindow();
    }

    function sortBy(field) {
      if (sort === field) dir = dir === "asc" ? "desc" : "asc";
      else {
        sort = field;
        dir = "asc";
      }
      prefs.sort = sort;
      prefs.dir = dir;
      applyView(true);
    }

    search.addEventListener("input", () => {
      prefs.query = search.value;
      applyView(true);
    });

    // --- virtual rows
    const BUFFER = 8;
    let rowH = 0;
    let measured = false;
    let rendered = new Map(); // id -> <tr>
    let range = [0, 0];
    let rowsChanged = true;

    function fillCell(td, field, m) {
      if (field === "ticker") {
        td.replaceChildren(el("a", { href: "#/metric/" + m.id }, m.ticker || "#" + m.id));
        td.dataset.type = m.metric_type || ""; // shown under the ticker on phones, where the Type column is dropped
      } else if (field === "metric_type") {
        td.textContent = m.metric_type || DASH;
      } else if (field === "rank") {
        td.textContent = m.rank || DASH;
      } else if (field === "sparkline") {
        td.className = "spark";
        td.replaceChildren(sparkline(m.sparkline));
      } else {
        const v = m[field];
        td.textContent = FIELD_FORMAT[field](v);
        if (isNum(v)) td.dataset.value = String(v);
        else delete td.dataset.value;
        let cls = isNum(v) ? "" : "na";
        if ((field === "change_1h" || field === "change_24h") && isNum(v)) cls = v > 0 ? "up" : v < 0 ? "down" : "";
        td.className = cls;
      }
    }

    function makeRow(m, index) {
      const tr = el("tr", { "aria-rowindex": index + 2, data: { metricId: m.id } });
      for (const col of COLUMNS) {
        const td = el("td", { data: { field: col.field } });
        fillCell(td, col.field, m);
        tr.append(td);
      }
      return tr;
    }

    function setSpacer(tr, px) {
      tr.hidden = px <= 0;
      tr.style.height = px + "px"; // CSSOM, allowed under the CSP
    }

    function sizeScroller() {
      // A short list does not need a tall empty viewport.
      scroller.classList.remove("short");
      const natural = thead.offsetHeight + state.rows.length * (rowH || 40) + 2;
      if (natural <= scroller.clientHeight) scroller.classList.add("short");
    }

    function renderWindow() {
      if (!rowH) rowH = parseFloat(getComputedStyle(root).fontSize) * 2.5 || 40;
      const total = state.rows.length;
      const headH = thead.offsetHeight;
      const top = Math.max(0, scroller.scrollTop - headH);
      const viewH = scroller.clientHeight || 600;
      const first = Math.max(0, Math.floor(top / rowH) - BUFFER);
      const last = Math.min(total, Math.ceil((top + viewH) / rowH) + BUFFER);
      if (!rowsChanged && first === range[0] && last === range[1]) return;
      rowsChanged = false;
      range = [first, last];
      const keep = new Map();
      const frag = document.createDocumentFragment();
      for (let i = first; i < last; i++) {
        const m = state.rows[i];
        let tr = rendered.get(m.id);
        if (tr) {
          rendered.delete(m.id);
          tr.setAttribute("aria-rowindex", String(i + 2));
        } else tr = makeRow(m, i);
        keep.set(m.id, tr);
        frag.append(tr);
      }
      for (const tr of rendered.values()) tr.remove();
      rendered = keep;
      frag.prepend(spacerTop);
      frag.append(spacerBottom);
      tbody.replaceChildren(frag);
      setSpacer(spacerTop, first * rowH);
      setSpacer(spacerBottom, (total - last) * rowH);
      if (!measured && last > first && section.isConnected) {
        // The real row height (fonts, zoom) replaces the estimate once.
        measured = true;
        const h = spacerTop.nextElementSibling.getBoundingClientRect().height;
        if (h > 0 && Math.abs(h - rowH) > 0.5) {
          rowH = h;
          rowsChanged = true;
          sizeScroller();
          renderWindow();
        }
      }
    }

    let scrollQueued = false;
    scroller.addEventListener("scroll", () => {
      prefs.scrollTop = scroller.scrollTop;
      if (scrollQueued) return;
      scrollQueued = true;
      requestAnimationFrame(() => {
        scrollQueued = false;
        if (scope.alive) renderWindow();
      });
    }, { passive: true });

    if (typeof ResizeObserver === "function") {
      let queued = false;
      const ro = new ResizeObserver(() => {
        // Deferred to the next frame so the observer never sees its own layout changes.
        if (queued) return;
        queued = true;
        requestAnimationFrame(() => {
          queued = false;
          if (scope.alive && state.loaded) renderWindow();
        });
      });
      ro.observe(scroller);
      scope.onDispose(() => ro.disconnect());
    }

    // --- steadiest / most volatile per type
    let cardsSignature = "";
    function renderCards() {
      const groups = new Map();
      for (const m of state.metrics) {
        const cv = m.coefficient_of_variation;
        if (!isNum(cv)) continue;
        let g = groups.get(m.metric_type);
        if (!g) groups.set(m.metric_type, (g = { low: m, high: m }));
        if (cv < g.low.coefficient_of_variation) g.low = m;
        if (cv > g.high.coefficient_of_variation) g.high = m;
      }
      const types = [...groups.keys()].sort((a, b) => {
        const ia = TYPES.indexOf(a), ib = TYPES.indexOf(b);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || collator.compare(a, b);
      });
      const items = [];
      for (const t of types) {
        const g = groups.get(t);
        items.push(["Steadiest " + t, g.low], ["Most volatile " + t, g.high]);
      }
      const sig = items.map(([k, m]) => k + m.id + fmtRatio(m.coefficient_of_variation) + fmtValue(m.value)).join("|");
      if (sig === cardsSignature) return;
      cardsSignature = sig;
      cardsHeading.hidden = items.length === 0;
      cards.replaceChildren(...items.map(([kind, m]) =>
        el("li", null, el("a", { class: "card", href: "#/metric/" + m.id, data: { metricId: m.id } },
          el("span", { class: "card-kind" }, kind),
          el("span", { class: "card-ticker" }, tickerWithBreak(m.ticker)),
          el("span", { class: "card-figure" }, "CV " + fmtRatio(m.coefficient_of_variation), el("span", { class: "muted" }, " \u00b7 " + fmtValue(m.value)))))));
    }

    // --- loading
    const load = makeLoader(scope, "overview", notice, () => "/overview?window=" + encodeURIComponent(state.window), (data) => {
      const list = Array.isArray(data.metrics) ? data.metrics.filter((m) => m && isNum(m.id)) : [];
      state.metrics = list.map(prepareMetric);
      state.byId = new Map(state.metrics.map((m) => [m.id, m]));
      overviewCache.set(state.window, state.byId);
      if (list.length === 0) {
        setNotice(notice, "info", "No data yet \u2014 waiting for the first samples");
        if (!placeholder || !placeholder.isConnected) attach();
      } else attach();
      const restore = !state.loaded && prefs.scrollTop;
      state.loaded = true;
      renderCards();
      applyView(false);
      if (restore) {
        scroller.scrollTop = prefs.scrollTop;
        renderWindow();
      }
      return list.length ? { ready: true } : { again: 2000 };
    });

    function pickWindow(value) {
      if (value === state.window && state.loaded) return;
      state.window = value;
      prefs.overviewWindow = value;
      prefs.scrollTop = 0;
      windowSwitch.press(value);
      setHash(value === "24h" ? "#/" : "#/?window=" + value);
      state.loaded = false;
      scroller.scrollTop = 0; // a new window starts at the top
      load(false);
    }

    // --- live values
    const dirty = new Set();
    let flushTimer = 0;
    let statsDirty = false;
    function flush() {
      flushTimer = 0;
      for (const id of dirty) {
        const tr = rendered.get(id);
        const m = state.byId.get(id);
        if (!tr || !m) continue;
        for (const td of tr.children) {
          const f = td.dataset.field;
          if (f === "value" || (statsDirty && FIELD_FORMAT[f] && f.indexOf("change") !== 0)) fillCell(td, f, m);
        }
      }
      dirty.clear();
      if (statsDirty) renderCards();
      statsDirty = false;
    }

    function onSample(d) {
      const m = state.byId.get(d.id);
      if (!m) return;
      // A late sample (an import, a backfill) is history: it does not replace the newest value.
      const t = parseTime(d.timestamp);
      const shown = parseTime(m.timestamp);
      if (t !== null && (shown === null || t >= shown)) {
        if (isNum(d.value)) m.value = d.value;
        m.timestamp = d.timestamp;
      }
      // The event's statistics are for its own window; they replace ours only when they match.
      if (d.window === state.window) {
        for (const f of ["standard_deviation", "coefficient_of_variation", "log_return_volatility", "samples"]) {
          if (f in d) m[f] = d[f];
        }
        statsDirty = true;
      }
      dirty.add(d.id);
      // Many events a second at 20,000 metrics: the DOM is touched at most ten times a second.
      if (!flushTimer) flushTimer = scope.later(flush, 100);
    }

    // Coming back to the overview: show what we had at once, while the fresh copy loads.
    const cached = overviewCache.get(state.window);
    if (cached && cached.size) {
      state.metrics = [...cached.values()];
      state.byId = cached;
      attach();
      renderCards();
    }
    applyView(false);
    if (cached && prefs.scrollTop) {
      scroller.scrollTop = prefs.scrollTop;
      renderWindow();
    }
    ensureStream("");
    load(false);
    return { heading, onSample, reload: () => load(true) };
  }

  // ---------------------------------------------------------------- chart helpers

  /** About `count` round ticks covering [min, max]. */
  function niceTicks(min, max, count) {
    if (min === max) {
      const d = Math.abs(min) * 0.01 || 1;
      min -= d;
      max += d;
    }
    const raw = (max - min) / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const norm = raw / mag;
    const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
    const lo = Math.floor(min / step) * step;
    const hi = Math.ceil(max / step) * step;
    const ticks = [];
    for (let i = 0; lo + i * step <= hi + step / 2; i++) ticks.push(lo + i * step);
    return { lo, hi: ticks[ticks.length - 1], step, ticks };
  }

  function fmtTick(v, step) {
    const digits = step >= 1 ? 0 : Math.min(12, Math.ceil(-Math.log10(step) - 1e-9));
    return minus(nf({ minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v));
  }

  const SEC = 1000, MIN = 60 * SEC, HOUR = 60 * MIN, DAY = 24 * HOUR;
  const TIME_STEPS = [1, 2, 5, 10, 15, 30].map((s) => s * SEC)
    .concat([1, 2, 5, 10, 15, 30].map((m) => m * MIN), [1, 2, 3, 6, 12].map((h) => h * HOUR), [1, 2, 7, 14].map((d) => d * DAY));

  /** Ticks on round local times (the reader's time zone), at most maxCount of them. */
  function timeTicks(t0, t1, maxCount) {
    const span = t1 - t0;
    const step = TIME_STEPS.find((s) => span / s <= maxCount) || TIME_STEPS[TIME_STEPS.length - 1];
    const ticks = [];
    if (step < DAY) {
      const off = (t) => -new Date(t).getTimezoneOffset() * MIN;
      for (let t = Math.ceil((t0 + off(t0)) / step) * step - off(t0); t <= t1; t += step) ticks.push(t);
    } else {
      const d = new Date(t0);
      d.setHours(0, 0, 0, 0);
      if (d.getTime() < t0) d.setDate(d.getDate() + 1);
      for (; d.getTime() <= t1; d.setDate(d.getDate() + step / DAY)) ticks.push(d.getTime());
    }
    const multiDay = !sameLocalDay(t0, t1);
    return ticks.map((t) => {
      const d = new Date(t);
      const midnight = d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0;
      let text;
      if (step >= DAY || (multiDay && midnight)) text = dtf({ month: "short", day: "numeric" }).format(t);
      else if (step < MIN) text = dtf(HMS).format(t);
      else text = dtf({ hour: "2-digit", minute: "2-digit" }).format(t);
      return { t, text };
    });
  }

  function pad2(n) {
    return String(n).padStart(2, "0");
  }
  /** A time as a datetime-local input value (local time, minutes). */
  function toLocalInput(ms) {
    const d = new Date(ms);
    return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + "T" + pad2(d.getHours()) + ":" + pad2(d.getMinutes());
  }
  function rfc3339(ms) {
    return new Date(ms).toISOString().replace(".000Z", "Z");
  }

  // ---------------------------------------------------------------- one metric

  function viewMetric(route, scope) {
    const id = route.id;
    const p = route.params;
    const from = parseTime(p.get("from")), to = parseTime(p.get("to"));
    const state = {
      custom: from !== null && to !== null,
      window: WINDOWS.includes(p.get("window")) ? p.get("window") : prefs.metricWindow,
      from, to,
      meta: null,
      points: [],
      stats: {},
      latest: null,
      loaded: false,
      maxPoints: 0,
      hover: -1,
    };
    document.title = "Metric " + id + " \u00b7 cryptometrics";

    // --- skeleton
    const notice = el("div", { class: "notice", role: "status", hidden: true });
    const heading = el("h2", { id: "metric-heading", tabindex: "-1" }, "Metric " + id);
    const sub = el("p", { class: "sub" });
    const windowSwitch = segmented("Window", "m-window", WINDOWS.map((x) => ({ value: x, label: x })), state.custom ? null : state.window, "window", pickWindow);
    const fromInput = el("input", { type: "datetime-local", id: "range-from", required: true });
    const toInput = el("input", { type: "datetime-local", id: "range-to", required: true });
    const formError = el("p", { class: "form-error", id: "range-error", "aria-live": "polite" });
    const rangeForm = el("form", { class: "range-form", "aria-label": "Custom range", novalidate: true },
      el("div", { class: "field" }, el("label", { for: "range-from" }, "From"), fromInput),
      el("div", { class: "field" }, el("label", { for: "range-to" }, "To"), toInput),
      el("button", { type: "submit", class: "primary" }, "Apply"),
      formError);
    let rangeTouched = false;
    for (const input of [fromInput, toInput]) input.addEventListener("input", () => (rangeTouched = true));
    if (state.custom) {
      fromInput.value = toLocalInput(state.from);
      toInput.value = toLocalInput(state.to);
      rangeTouched = true;
    }

    const svg = svgEl("svg", {
      id: "chart", role: "img", tabindex: "0", "data-points": "0",
      "aria-describedby": "chart-help", viewBox: "0 0 800 340",
    });
    const tooltip = el("div", { class: "tooltip", hidden: true, "aria-hidden": "true" });
    const readout = el("p", { class: "visually-hidden", "aria-live": "polite", id: "chart-readout" });
    const wrap = el("div", { class: "chart-wrap" }, svg, tooltip);
    const chartNote = el("figcaption", { class: "chart-note", id: "chart-help" },
      "Times in your time zone (" + TIME_ZONE + "). Point at the chart, or focus it and use the arrow keys, Home and End, to read values.");

    const statsValues = {};
    const statRow = (key, label) => [el("dt", null, label), (statsValues[key] = el("dd", { data: { stat: key } }, DASH))];
    const latest = el("p", { class: "latest" }, DASH);
    const latestTime = el("p", { class: "latest-time" }, "\u00a0");
    const stats = el("aside", { class: "stats-card", "aria-labelledby": "stats-heading" },
      el("h3", { id: "stats-heading" }, "Statistics"),
      latest, latestTime,
      el("dl", { class: "stats" },
        statRow("window", "Window"),
        statRow("samples", "Samples"),
        statRow("standard_deviation", "Std dev"),
        statRow("coefficient_of_variation", "CV"),
        statRow("log_return_volatility", "Log-return vol."),
        statRow("rank", "Rank (std dev)"),
        statRow("points", "Points drawn")));

    app.append(el("section", { class: "metric-view", "aria-labelledby": "metric-heading" },
      el("div", { class: "view-header" },
        el("div", null, el("a", { class: "back", href: "#/" }, "\u2190 Overview"), heading, sub)),
      el("div", { class: "toolbar" }, windowSwitch, rangeForm),
      notice,
      el("div", { class: "metric-layout" },
        el("figure", { class: "chart-card" }, wrap, chartNote, readout),
        stats)));

    // --- statistics
    function renderStats() {
      const s = state.stats;
      statsValues.window.textContent = state.custom ? "Custom range" : state.window;
      let samples = s.samples;
      if (!isNum(samples) && !state.custom) {
        const cached = overviewCache.get(state.window);
        const m = cached && cached.get(id);
        if (m && isNum(m.samples)) samples = m.samples;
      }
      statsValues.samples.textContent = fmtCount(samples);
      statsValues.standard_deviation.textContent = fmtValue(s.standard_deviation);
      statsValues.coefficient_of_variation.textContent = fmtRatio(s.coefficient_of_variation);
      statsValues.log_return_volatility.textContent = fmtVol(s.log_return_volatility);
      statsValues.rank.textContent = s.rank || DASH;
      statsValues.points.textContent = fmtCount(state.points.length);
      const last = state.latest || state.points[state.points.length - 1];
      latest.textContent = last ? fmtValue(last.v) : DASH;
      latestTime.textContent = last ? "at " + dtf(FULL).format(last.t) : "\u00a0";
    }

    function renderHeading() {
      const m = state.meta;
      if (!m) return;
      heading.replaceChildren(m.ticker, el("span", { class: "badge" }, m.metric_type));
      document.title = m.ticker + " " + m.metric_type + " \u00b7 cryptometrics";
      sub.textContent = state.custom
        ? "From " + dtf(FULL).format(state.from) + " to " + dtf(FULL).format(state.to)
        : "Last " + state.window + ", extended live";
    }

    // --- chart
    let geom = null;
    let crossLine = null, marker = null;

    function chartSize() {
      const w = Math.max(280, Math.round(wrap.clientWidth || 800));
      return { W: w, H: w < 520 ? 240 : 340 };
    }

    function draw() {
      const { W, H } = chartSize();
      svg.setAttribute("viewBox", "0 0 " + W + " " + H);
      svg.setAttribute("width", String(W));
      svg.setAttribute("height", String(H));
      svg.replaceChildren();
      const pts = state.points;
      svg.setAttribute("data-points", String(pts.length));
      // What the history was asked with, so that a test can ask the API the same.
      svg.setAttribute("data-max-points", String(state.maxPoints));
      geom = null;
      const name = state.meta ? state.meta.ticker + " " + state.meta.metric_type : "Metric " + id;
      if (!pts.length) {
        svg.setAttribute("aria-label", name + ": no samples to draw");
        svg.append(svgEl("text", { class: "empty", x: W / 2, y: H / 2, "text-anchor": "middle" },
          state.loaded ? "No samples in this range" : "Loading\u2026"));
        return;
      }
      let t0 = pts[0].t, t1 = pts[pts.length - 1].t;
      if (t1 - t0 < SEC) {
        t0 -= 30 * SEC;
        t1 += 30 * SEC;
      }
      let vmin = Infinity, vmax = -Infinity;
      for (const q of pts) {
        if (q.v < vmin) vmin = q.v;
        if (q.v > vmax) vmax = q.v;
      }
      const yt = niceTicks(vmin, vmax, H < 300 ? 4 : 5);
      const ylabels = yt.ticks.map((v) => fmtTick(v, yt.step));
      const m = { l: Math.ceil(Math.max(...ylabels.map((s) => s.length)) * 6.6) + 14, r: 16, t: 12, b: 28 };
      const pw = W - m.l - m.r, ph = H - m.t - m.b;
      const x = (t) => m.l + ((t - t0) / (t1 - t0)) * pw;
      const y = (v) => m.t + (1 - (v - yt.lo) / (yt.hi - yt.lo)) * ph;

      const grid = svgEl("g", { class: "grid", "aria-hidden": "true" });
      const labels = svgEl("g", { class: "labels", "aria-hidden": "true" });
      yt.ticks.forEach((v, i) => {
        const yy = Math.round(y(v)) + 0.5;
        grid.append(svgEl("line", { x1: m.l, x2: W - m.r, y1: yy, y2: yy }));
        labels.append(svgEl("text", { x: m.l - 8, y: yy + 4, "text-anchor": "end" }, ylabels[i]));
      });
      const xt = timeTicks(t0, t1, Math.max(2, Math.floor(pw / (W < 520 ? 72 : 95))));
      for (const tick of xt) {
        const xx = Math.round(x(tick.t)) + 0.5;
        grid.append(svgEl("line", { x1: xx, x2: xx, y1: m.t, y2: H - m.b }));
        // Keep the first and last labels inside the chart (about 6.2 px per character at 11 px).
        const half = tick.text.length * 3.1;
        const lx = Math.min(Math.max(xx, half + 2), W - half - 2);
        labels.append(svgEl("text", { x: lx.toFixed(1), y: H - m.b + 18, "text-anchor": "middle" }, tick.text));
      }
      const axis = svgEl("g", { class: "axis", "aria-hidden": "true" },
        svgEl("line", { x1: m.l, x2: W - m.r, y1: H - m.b + 0.5, y2: H - m.b + 0.5 }));

      // The one element that carries the series.
      let d = "";
      for (let i = 0; i < pts.length; i++) d += (i ? "L" : "M") + x(pts[i].t).toFixed(1) + "," + y(pts[i].v).toFixed(1);
      const series = svgEl("path", { class: "series", d });
      crossLine = svgEl("line", { class: "crosshair", x1: 0, x2: 0, y1: m.t, y2: H - m.b, visibility: "hidden" });
      marker = svgEl("circle", { class: "marker", r: 4, cx: 0, cy: 0, visibility: pts.length === 1 ? "visible" : "hidden" });
      if (pts.length === 1) {
        marker.setAttribute("cx", x(pts[0].t).toFixed(1));
        marker.setAttribute("cy", y(pts[0].v).toFixed(1));
      }
      svg.append(grid, axis, labels, series, crossLine, marker);
      geom = { x, y, m, W, H, t0, t1, pw };
      svg.setAttribute("aria-label", name + " over " + (state.custom ? "a custom range" : "the last " + state.window) + ": " +
        pts.length + " points from " + fmtValue(vmin) + " to " + fmtValue(vmax) + ", last " + fmtValue(pts[pts.length - 1].v) + ".");
      if (state.hover >= 0) showHover(Math.min(state.hover, pts.length - 1), false);
    }

    function nearest(t) {
      const pts = state.points;
      let lo = 0, hi = pts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (pts[mid].t < t) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0 && t - pts[lo - 1].t < pts[lo].t - t) lo--;
      return lo;
    }

    function showHover(i, announce) {
      if (!geom || i < 0 || i >= state.points.length) return;
      state.hover = i;
      const q = state.points[i];
      const X = geom.x(q.t), Y = geom.y(q.v);
      crossLine.setAttribute("x1", X.toFixed(1));
      crossLine.setAttribute("x2", X.toFixed(1));
      crossLine.setAttribute("visibility", "visible");
      marker.setAttribute("cx", X.toFixed(1));
      marker.setAttribute("cy", Y.toFixed(1));
      marker.setAttribute("visibility", "visible");
      const when = dtf(SHORT).format(q.t);
      tooltip.replaceChildren(el("strong", null, fmtValue(q.v)), when);
      tooltip.hidden = false;
      // Position in CSS pixels of the wrapper (CSSOM writes are allowed by the CSP).
      const scale = (wrap.clientWidth || geom.W) / geom.W;
      const tw = tooltip.offsetWidth, th = tooltip.offsetHeight;
      let left = X * scale + 12;
      if (left + tw > wrap.clientWidth) left = X * scale - tw - 12;
      tooltip.style.left = Math.max(0, left) + "px";
      tooltip.style.top = Math.max(0, Y * scale - th - 10) + "px";
      if (announce) readout.textContent = when + ": " + fmtValue(q.v);
    }

    function hideHover() {
      state.hover = -1;
      tooltip.hidden = true;
      if (crossLine) crossLine.setAttribute("visibility", "hidden");
      if (marker && state.points.length !== 1) marker.setAttribute("visibility", "hidden");
    }

    svg.addEventListener("pointermove", (ev) => {
      if (!geom) return;
      const rect = svg.getBoundingClientRect();
      const sx = (ev.clientX - rect.left) * (geom.W / rect.width);
      const t = geom.t0 + ((sx - geom.m.l) / geom.pw) * (geom.t1 - geom.t0);
      showHover(nearest(t), false);
    });
    svg.addEventListener("pointerleave", () => {
      if (document.activeElement !== svg) hideHover();
    });
    svg.addEventListener("focus", () => {
      if (state.hover < 0 && state.points.length) showHover(state.points.length - 1, true);
    });
    svg.addEventListener("blur", hideHover);
    svg.addEventListener("keydown", (ev) => {
      const n = state.points.length;
      if (!n) return;
      const cur = state.hover < 0 ? n - 1 : state.hover;
      const page = Math.max(1, Math.round(n / 10));
      const moves = {
        ArrowLeft: cur - 1, ArrowRight: cur + 1, ArrowDown: cur - 1, ArrowUp: cur + 1,
        PageUp: cur - page, PageDown: cur + page, Home: 0, End: n - 1,
      };
      if (ev.key in moves) {
        ev.preventDefault();
        showHover(Math.max(0, Math.min(n - 1, moves[ev.key])), true);
      } else if (ev.key === "Escape") hideHover();
    });

    if (typeof ResizeObserver === "function") {
      let lastW = 0, queued = false;
      const ro = new ResizeObserver(() => {
        if (queued) return;
        queued = true;
        requestAnimationFrame(() => {
          queued = false;
          const w = Math.round(wrap.clientWidth);
          if (!scope.alive || w === lastW) return;
          lastW = w;
          draw();
        });
      });
      ro.observe(wrap);
      scope.onDispose(() => ro.disconnect());
    }

    // --- loading
    function url() {
      // About one point per pixel of chart width.
      state.maxPoints = Math.max(50, Math.min(1000, chartSize().W));
      const q = state.custom
        ? "from=" + encodeURIComponent(rfc3339(state.from)) + "&to=" + encodeURIComponent(rfc3339(state.to))
        : "window=" + state.window;
      return "/metrics/" + id + "?" + q + "&max_points=" + state.maxPoints;
    }
    function apply(data) {
      state.meta = { ticker: data.ticker || "Metric " + id, metric_type: data.metric_type || "" };
      state.stats = {
        standard_deviation: data.standard_deviation,
        coefficient_of_variation: data.coefficient_of_variation,
        log_return_volatility: data.log_return_volatility,
        rank: data.metric_rank,
        samples: data.samples,
      };
      const hist = Array.isArray(data.metric_24h_history) ? data.metric_24h_history : [];
      state.points = hist.map((h) => ({ t: parseTime(h && h.timestamp), v: h && h.value }))
        .filter((h) => h.t !== null && isNum(h.v));
      state.latest = null;
      state.loaded = true;
      if (!rangeTouched) {
        const end = state.points.length ? state.points[state.points.length - 1].t : Date.now();
        fromInput.value = toLocalInput(end - WINDOW_MS[state.window]);
        toInput.value = toLocalInput(end);
      }
      renderHeading();
      renderStats();
      draw();
      return { ready: true };
    }
    function onFail(err) {
      if (err instanceof ApiError && err.status === 404) {
        heading.textContent = "Unknown metric " + id;
        notice.append(el("p", null, el("a", { href: "#/" }, "Back to the overview")));
      }
      if (err instanceof ApiError && err.status < 500 && err.status !== 503) {
        state.loaded = true;
        draw();
      }
    }
    const load = makeLoader(scope, "metric", notice, url, apply, onFail);

    function pickWindow(value) {
      state.custom = false;
      state.window = value;
      prefs.metricWindow = value;
      rangeTouched = false;
      formError.textContent = "";
      windowSwitch.press(value);
      setHash("#/metric/" + id + "?window=" + value);
      hideHover();
      load(false);
    }

    rangeForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      // datetime-local values carry no offset: Date reads them as local time, as shown.
      const f = fromInput.value ? new Date(fromInput.value).getTime() : NaN;
      const t = toInput.value ? new Date(toInput.value).getTime() : NaN;
      let problem = "";
      if (!Number.isFinite(f) || !Number.isFinite(t)) problem = "Enter both a start and an end.";
      else if (f >= t) problem = "The start must be before the end.";
      formError.textContent = problem;
      fromInput.setAttribute("aria-invalid", String(!!problem && !Number.isFinite(f)));
      toInput.setAttribute("aria-invalid", String(!!problem && Number.isFinite(f)));
      if (problem) {
        (Number.isFinite(f) ? toInput : fromInput).focus();
        return;
      }
      state.custom = true;
      state.from = f;
      state.to = t;
      windowSwitch.press(null);
      setHash("#/metric/" + id + "?from=" + encodeURIComponent(rfc3339(f)) + "&to=" + encodeURIComponent(rfc3339(t)));
      hideHover();
      load(false);
    });
    fromInput.setAttribute("aria-describedby", "range-error");
    toInput.setAttribute("aria-describedby", "range-error");

    // --- live extension
    let flushTimer = 0;
    let reloadQueued = false;
    function flush() {
      flushTimer = 0;
      renderStats();
      if (!state.custom) draw();
    }
    function onSample(d) {
      if (d.id !== id || !state.loaded) return;
      const t = parseTime(d.timestamp);
      if (t === null || !isNum(d.value)) return;
      if (!state.custom) {
        // A late sample (an import, a backfill) is history: it does not replace the newest value.
        if (!state.latest || t >= state.latest.t) state.latest = { t, v: d.value };
        const pts = state.points;
        if (!pts.length || t > pts[pts.length - 1].t) {
          pts.push({ t, v: d.value });
          // Keep the window's time span: drop what fell out of it.
          const cut = t - WINDOW_MS[state.window];
          let drop = 0;
          while (drop < pts.length - 1 && pts[drop].t < cut) drop++;
          if (drop) {
            pts.splice(0, drop);
            if (state.hover >= 0) state.hover = Math.max(0, state.hover - drop);
          }
        }
        if (d.window === state.window) {
          for (const f of ["standard_deviation", "coefficient_of_variation", "log_return_volatility", "samples"]) {
            if (f in d) state.stats[f] = d[f];
          }
        }
        // Raw samples pile up beyond the server's downsampling: after a while, fetch afresh.
        if (pts.length > state.maxPoints * 2 && !reloadQueued) {
          reloadQueued = true;
          scope.later(() => {
            reloadQueued = false;
            load(true);
          }, 0);
        }
      }
      if (!flushTimer) flushTimer = scope.later(flush, 100);
    }

    draw();
    ensureStream("metrics=" + id);
    load(false);
    return { heading, onSample, reload: () => load(true) };
  }

  // ---------------------------------------------------------------- rankings

  function viewRankings(route, scope) {
    const p = route.params;
    const LIMIT = 100;
    const state = {
      type: TYPES.includes(p.get("type")) ? p.get("type") : prefs.rankType,
      window: WINDOWS.includes(p.get("window")) ? p.get("window") : prefs.rankWindow,
      by: MEASURES.some((x) => x.by === p.get("by")) ? p.get("by") : prefs.rankBy,
      offset: Math.max(0, parseInt(p.get("offset") || "0", 10) || 0),
      total: 0,
    };
    document.title = "Rankings \u00b7 cryptometrics";

    const heading = el("h2", { id: "rankings-heading", tabindex: "-1" }, "Rankings");
    const notice = el("div", { class: "notice", role: "status", hidden: true });
    const typeSwitch = segmented("Metric type", "r-type", TYPES.map((t) => ({ value: t, label: t[0].toUpperCase() + t.slice(1) })), state.type, "type", (v) => change({ type: v }));
    const windowSwitch = segmented("Window", "r-window", WINDOWS.map((x) => ({ value: x, label: x })), state.window, "window", (v) => change({ window: v }));
    const bySwitch = segmented("Ranked by", "r-by", MEASURES.map((x) => ({ value: x.by, label: x.label })), state.by, "by", (v) => change({ by: v }));
    const caption = el("caption");
    const headCells = {};
    const th = (label, field, num) => (headCells[field] = el("th", { scope: "col", class: num ? "num" : null }, label));
    const tbody = el("tbody");
    const table = el("table", { class: "rankings" }, caption,
      el("thead", null, el("tr", null, th("Rank", "rank", true), th("Ticker", "ticker"),
        MEASURES.map((x) => th(x.label, x.field, true)))), tbody);
    const rangeText = el("p", { "aria-live": "polite" });
    const prev = el("button", { type: "button", data: { page: "prev" } }, "Previous");
    const next = el("button", { type: "button", data: { page: "next" } }, "Next");
    prev.addEventListener("click", () => change({ offset: Math.max(0, state.offset - LIMIT) }, prev));
    next.addEventListener("click", () => change({ offset: state.offset + LIMIT }, next));

    app.append(el("section", { class: "rankings-view", "aria-labelledby": "rankings-heading" },
      el("div", { class: "view-header" }, el("div", null, heading,
        el("p", { class: "sub" }, "Rank 1 is the steadiest: the lowest value of the chosen measure over the window."))),
      el("div", { class: "toolbar" }, typeSwitch, windowSwitch, bySwitch),
      notice,
      el("div", { class: "table-scroll" }, table),
      el("div", { class: "table-footer" }, rangeText, el("nav", { class: "pages", "aria-label": "Pages" }, prev, next))));

    function syncHash() {
      setHash("#/rankings?type=" + state.type + "&window=" + state.window + "&by=" + state.by + (state.offset ? "&offset=" + state.offset : ""));
    }

    function change(patch, from) {
      if (!("offset" in patch)) patch.offset = 0;
      Object.assign(state, patch);
      prefs.rankType = state.type;
      prefs.rankWindow = state.window;
      prefs.rankBy = state.by;
      typeSwitch.press(state.type);
      windowSwitch.press(state.window);
      bySwitch.press(state.by);
      syncHash();
      focusFrom = from || null;
      load(false);
    }

    function render(data) {
      const measure = MEASURES.find((x) => x.by === state.by);
      caption.textContent = state.type[0].toUpperCase() + state.type.slice(1) + " metrics, window " + state.window +
        ", ranked by " + measure.long + " (lowest first).";
      for (const f of Object.keys(headCells)) {
        if (f === measure.field) headCells[f].setAttribute("aria-sort", "ascending");
        else headCells[f].removeAttribute("aria-sort");
      }
      const rows = Array.isArray(data.rankings) ? data.rankings : [];
      tbody.replaceChildren(...rows.map((r) => {
        const num = (field, fmt) => {
          const td = el("td", { data: { field } }, fmt(r[field]));
          if (isNum(r[field])) td.dataset.value = String(r[field]);
          return td;
        };
        return el("tr", { data: { metricId: r.id } },
          el("td", { data: { field: "rank" }, class: "num" }, isNum(r.rank) ? fmtCount(r.rank) : DASH),
          el("td", { data: { field: "ticker" } }, el("a", { href: "#/metric/" + r.id }, r.ticker || "#" + r.id)),
          num("standard_deviation", fmtValue), num("coefficient_of_variation", fmtRatio), num("log_return_volatility", fmtVol));
      }));
      state.total = isNum(data.total) ? data.total : rows.length;
      rangeText.textContent = rows.length
        ? "Showing " + fmtCount(state.offset + 1) + "\u2013" + fmtCount(state.offset + rows.length) + " of " + fmtCount(state.total)
        : "No metrics";
      prev.disabled = state.offset === 0;
      next.disabled = state.offset + rows.length >= state.total;
    }

    let focusFrom = null; // the page button that asked for this load
    const load = makeLoader(scope, "rankings", notice,
      () => "/rankings?metric_type=" + state.type + "&window=" + state.window + "&by=" + state.by + "&limit=" + LIMIT + "&offset=" + state.offset,
      (data) => {
        const rows = Array.isArray(data.rankings) ? data.rankings : [];
        if (!rows.length && state.offset > 0 && isNum(data.total) && data.total > 0) {
          change({ offset: 0 }); // a page past the end (the list shrank): back to the first
          return {};
        }
        if (!rows.length) setNotice(notice, "info", "No data yet \u2014 waiting for the first samples");
        render(data);
        // A page button that just became disabled would drop the focus: hand it to the other one.
        if (focusFrom && focusFrom.disabled) (focusFrom === next ? prev : next).focus();
        focusFrom = null;
        return { ready: true, again: rows.length ? 0 : 2000 };
      });

    ensureStream(stream.query === null ? "" : stream.query);
    load(false);
    return { heading, reload: () => load(true) };
  }

  // ---------------------------------------------------------------- status

  function viewStatus(route, scope) {
    const REFRESH_MS = 5000;
    document.title = "Upstream status \u00b7 cryptometrics";
    const heading = el("h2", { id: "status-heading", tabindex: "-1" }, "Upstream status");
    const updated = el("p", { class: "sub" }, "Loading\u2026");
    const refresh = el("button", { type: "button" }, "Refresh now");
    const notice = el("div", { class: "notice", role: "status", hidden: true });
    const body = el("div");
    app.append(el("section", { class: "status-view", "aria-labelledby": "status-heading" },
      el("div", { class: "view-header" }, el("div", null, heading, updated), refresh),
      notice, body));

    const badgeFor = (breaker) => {
      const b = String(breaker || "unknown");
      const cls = b === "closed" ? "ok" : b === "open" ? "bad" : "warn";
      return el("span", { class: "badge " + cls }, b);
    };
    const failures = (n) => (isNum(n) && n > 0 ? el("span", { class: "badge bad" }, fmtCount(n)) : fmtCount(isNum(n) ? n : null));
    const text = (v) => (v === null || v === undefined || v === "" ? DASH : String(v));

    function errorCell(e) {
      if (!e || typeof e !== "object") return el("span", { class: "muted" }, "None");
      return [
        el("span", { class: "err-kind" }, text(e.kind)),
        e.reason ? ": " + e.reason : "",
        el("br"),
        el("span", { class: "muted" }, "via " + text(e.upstream) + ", ", timeNode(e.at, true)),
      ];
    }

    function table(captionText, headers, rows) {
      return el("div", { class: "table-scroll" },
        el("table", { class: "status-table" },
          el("caption", null, captionText),
          el("thead", null, el("tr", null, headers.map((h) => el("th", { scope: "col", class: h.num ? "num" : null }, h.label)))),
          el("tbody", null, rows)));
    }

    function render(s) {
      const tickers = Array.isArray(s.tickers) ? s.tickers : [];
      const upstreams = Array.isArray(s.upstreams) ? s.upstreams : [];
      const pollers = Array.isArray(s.pollers) ? s.pollers.filter((x) => x && typeof x === "object") : [];
      const failing = tickers.filter((t) => isNum(t.consecutive_failures) && t.consecutive_failures > 0).length;
      const parts = [];
      if (isNum(s.interval_seconds)) parts.push("Polling every " + nf({ maximumFractionDigits: 2 }).format(s.interval_seconds) + " s");
      const summary = el("p", { class: "summary-line" }, parts.join(""));
      if (s.last_cycle) summary.append((parts.length ? " \u00b7 " : "") + "last cycle ", timeNode(s.last_cycle, true),
        isNum(s.last_cycle_ms) ? ", took " + fmtCount(s.last_cycle_ms) + " ms" : "");

      const kids = [summary];
      kids.push(el("h3", null, "Tickers"), table(
        plural(tickers.length, "ticker") + ", " + (failing ? fmtCount(failing) + " failing" : "none failing") + ".",
        [{ label: "Ticker" }, { label: "Last success" }, { label: "Last upstream" }, { label: "Consecutive failures", num: true }, { label: "Last error" }],
        tickers.map((t) => el("tr", { data: { ticker: t.ticker } },
          el("th", { scope: "row" }, text(t.ticker)),
          el("td", null, timeNode(t.last_success, true)),
          el("td", null, text(t.last_upstream),
            Array.isArray(t.upstreams) && t.upstreams.length > 1 ? el("span", { class: "muted" }, " (of " + t.upstreams.join(", ") + ")") : ""),
          el("td", { class: "num" }, failures(t.consecutive_failures)),
          el("td", { class: "wrap" }, errorCell(t.last_error))))));
      kids.push(el("h3", null, "Upstreams"), table(
        plural(upstreams.length, "upstream") + ".",
        [{ label: "Name" }, { label: "Endpoint" }, { label: "Breaker" }, { label: "Consecutive failures", num: true }, { label: "Probe at" }],
        upstreams.map((u) => el("tr", { data: { upstream: u.name } },
          el("th", { scope: "row" }, text(u.name)),
          el("td", { class: "wrap" }, text(u.endpoint)),
          el("td", null, badgeFor(u.breaker)),
          el("td", { class: "num" }, failures(u.consecutive_failures)),
          el("td", null, u.probe_at ? timeNode(u.probe_at, true) : DASH)))));
      if (pollers.length) {
        // Shape not fixed by the API: one column per key seen.
        const keys = [...new Set(pollers.flatMap((x) => Object.keys(x)))];
        kids.push(el("h3", null, "Pollers"), table(plural(pollers.length, "poller") + ".", keys.map((k) => ({ label: k.replace(/_/g, " ") })),
          pollers.map((x) => el("tr", null, keys.map((k) => {
            const v = x[k];
            if (typeof v === "string" && parseTime(v) !== null && /\d{4}-\d\d-\d\dT/.test(v)) return el("td", null, timeNode(v, true));
            return el("td", { class: "wrap" }, v !== null && typeof v === "object" ? JSON.stringify(v) : text(v));
          })))));
      }
      body.replaceChildren(...kids);
      updated.textContent = "Updated " + dtf(HMS).format(Date.now()) + ", every " + REFRESH_MS / 1000 + " s";
    }

    const load = makeLoader(scope, "status", notice, () => "/status", (data) => {
      refresh.hidden = false;
      render(data);
      return { ready: true, again: REFRESH_MS };
    }, (err) => {
      if (err instanceof ApiError && err.status === 404) {
        // An API-only instance: it does not poll, so there is no status to show.
        setNotice(notice, "info", "This instance serves the API only and does not poll the exchanges, so there is no upstream status to show.", err.message);
        body.replaceChildren();
        updated.textContent = "";
        refresh.hidden = true;
      }
    });
    refresh.addEventListener("click", () => load(true));

    ensureStream(stream.query === null ? "" : stream.query);
    load(false);
    return { heading, reload: () => load(true) };
  }

  // ---------------------------------------------------------------- not found

  function viewNotFound(route, scope) {
    document.title = "Not found \u00b7 cryptometrics";
    const heading = el("h2", { tabindex: "-1" }, "Page not found");
    app.append(el("section", null, heading,
      el("p", null, "There is no page at this address. ", el("a", { href: "#/" }, "Go to the overview"), ".")));
    ensureStream(stream.query === null ? "" : stream.query);
    markReady(scope, "notfound");
    return { heading };
  }

  // ---------------------------------------------------------------- router

  const VIEWS = { overview: viewOverview, metric: viewMetric, rankings: viewRankings, status: viewStatus, notfound: viewNotFound };
  let current = null;
  let firstRoute = true;

  function parseRoute() {
    const hash = location.hash;
    let path = "", query = "";
    if (hash.startsWith("#/")) {
      const rest = hash.slice(2);
      const q = rest.indexOf("?");
      path = q < 0 ? rest : rest.slice(0, q);
      query = q < 0 ? "" : rest.slice(q + 1);
    }
    const params = new URLSearchParams(query);
    const parts = path.split("/").filter(Boolean);
    if (parts.length === 0) return { name: "overview", params };
    if (parts[0] === "metric" && parts.length === 2 && /^\d+$/.test(parts[1])) return { name: "metric", id: Number(parts[1]), params };
    if (parts.length === 1 && (parts[0] === "rankings" || parts[0] === "status")) return { name: parts[0], params };
    return { name: "notfound", params };
  }

  function routeTo() {
    // Only "#/..." hashes are routes; others (none today) are in-page anchors.
    if (location.hash && !location.hash.startsWith("#/")) return;
    const r = parseRoute();
    if (current) current.scope.dispose();
    current = null;
    root.dataset.ready = "false";
    app.replaceChildren();
    if (r.name !== "overview" && serverSection) {
      serverSection.remove();
      serverSection = null;
    }
    for (const a of document.querySelectorAll("[data-nav]")) {
      if (a.dataset.nav === r.name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    const scope = makeScope();
    const view = VIEWS[r.name](r, scope);
    current = Object.assign({ name: r.name, scope }, view);
    if (!firstRoute) {
      // Move focus to the new view's heading so keyboard and screen reader users start there.
      window.scrollTo(0, 0);
      if (view.heading) view.heading.focus({ preventScroll: true });
    }
    firstRoute = false;
  }

  // ---------------------------------------------------------------- boot

  // The server-rendered table sorts through "?sort=&order=" links. Start the live table the same
  // way, then drop the query so that the "/#/..." links stay inside this document.
  if (location.search) {
    const sp = new URLSearchParams(location.search);
    const s = sp.get("sort");
    if (s) {
      const field = SORT_ALIASES[s] || s;
      if (COLUMNS.some((c) => c.field === field && c.sortable !== false)) prefs.sort = field;
    }
    if (sp.get("order") === "desc") prefs.dir = "desc";
    if (WINDOWS.includes(sp.get("window"))) prefs.overviewWindow = sp.get("window");
    history.replaceState(history.state, "", location.pathname + location.hash);
  }

  // The skip link's "#content" must not reach the router.
  const skip = document.querySelector(".skip-link");
  if (skip) {
    skip.addEventListener("click", (ev) => {
      ev.preventDefault();
      mainEl.focus();
    });
  }

  root.dataset.samplesReceived = "0";
  setStreamState("connecting");
  window.addEventListener("hashchange", routeTo);
  routeTo();
})();
