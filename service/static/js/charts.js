// Small SVG charts: line charts over steps and a contour map with paths. No library, no build step.
// Every series is a <path class="series" data-label="..."> so pages, tests and people can find it.

const NS = "http://www.w3.org/2000/svg";

// matplotlib's tab10, then the light partners tab20 pairs them with (runs 11-20 keep their own colours):
// the figures the service draws use the same colours in the same order (service/figures.py).
const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
  "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
];

export function colorOf(index) {
  return PALETTE[index % PALETTE.length];
}

function node(tag, attrs = {}, parent = null) {
  const element = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, value);
  if (parent) parent.appendChild(element);
  return element;
}

function text(parent, x, y, content, attrs = {}) {
  const element = node("text", { x, y, ...attrs }, parent);
  element.textContent = content;
  return element;
}

// --- numbers and ticks -------------------------------------------------------------------------

/** Whether a number is written with an exponent: nonzero and at least 1e5 or under 1e-3 in magnitude. */
function needsExponent(value) {
  const magnitude = Math.abs(value);
  return value !== 0 && (magnitude >= 1e5 || magnitude < 1e-3);
}

/** A number in 4 significant digits (`digits` more or fewer), with an exponent when it needs one or when
 * `exponent` says so. */
export function formatNumber(value, { digits = 4, exponent = false } = {}) {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  if (exponent || needsExponent(value)) {
    return value.toExponential(digits - 1).replace(/\.?0+e/, "e").replace("e+", "e");
  }
  return String(Number(value.toPrecision(digits)));
}

/** An axis's tick labels: as many digits as it takes to tell them apart (a range 1.0001..1.0002 read
 * "1" five times); on a linear axis, all with exponents when one needs it (not 90000 beside 1e5). A log
 * axis keeps each decade's own form (0.01, 0.1, 1 rather than 1e0). */
function tickLabels(ticks, log = false) {
  const exponent = !log && ticks.some(needsExponent);
  let labels = [];
  for (let digits = 3; digits <= 17; digits++) {
    labels = ticks.map((v) => formatNumber(v, { digits, exponent }));
    if (new Set(labels).size === labels.length) break;
  }
  return labels;
}

function niceStep(span, count) {
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / magnitude;
  return (scaled < 1.5 ? 1 : scaled < 3 ? 2 : scaled < 7 ? 5 : 10) * magnitude;
}

function linearTicks(min, max, count = 5) {
  const step = niceStep(max - min, count);
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return ticks;
}

// Decades between a log axis's ticks: round steps, and ticks at their multiples (1e0, 1e20, 1e40, ...), so that
// both ends of a wide axis are labelled (a step of 19 from 1e-6 labelled 1e13, 1e32, ... and nothing near Adam).
const DECADE_STEPS = [1, 2, 3, 5, 10, 20, 25, 50, 100];

function logTicks(min, max) {
  const low = Math.floor(Math.log10(min));
  const high = Math.ceil(Math.log10(max));
  const every = DECADE_STEPS.find((step) => (high - low) / step <= 6) ?? Math.ceil((high - low) / 6);
  const ticks = [];
  for (let e = Math.ceil(low / every) * every; e <= high; e += every) {
    const v = 10 ** e;
    if (v >= min * 0.999 && v <= max * 1.001) ticks.push(v);
  }
  if (ticks.length < 3) { // within two decades: 2 and 5 of each decade too
    for (const m of [2, 5]) {
      for (let e = low; e <= high; e++) {
        const v = m * 10 ** e;
        if (v >= min && v <= max) ticks.push(v);
      }
    }
    ticks.sort((a, b) => a - b);
  }
  // Within one decade even those may be two or fewer: evenly spaced values then, as on a linear axis.
  return ticks.length < 3 ? linearTicks(min, max, 4).filter((v) => v > 0) : ticks;
}

// Values beyond this magnitude (and, on a log axis, below its inverse) are left out of the lines and
// the axes, as the service's own figures leave them out: a run flying off to 1e300 would otherwise
// overflow the axis arithmetic (a padded 1e308 is Infinity) and flatten every other run to a line.
const DRAWABLE = 1e200;

/** Whether a value is drawn: finite, within DRAWABLE, and positive (at least 1 / DRAWABLE) on a log axis. */
function drawable(v, log = false) {
  return Number.isFinite(v) && Math.abs(v) <= DRAWABLE && (!log || v >= 1 / DRAWABLE);
}

function extent(values, log) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!drawable(v, log)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/**
 * The series a chart's value axis fits: those of runs that stayed finite. A diverged run (`diverged:
 * true`) climbs towards float64's end in its last steps: fitted to it, the axis would reach ~1e200 and
 * flatten every other run to a line. Its line is still drawn, leaving the chart where it runs off (the
 * legend says at which step it diverged). When no finite run has a value to show, the axis fits them all.
 */
function fitted(seriesList, log = false) {
  const steady = seriesList.filter((s) => !s.diverged && s.y.some((v) => drawable(v, log)));
  return steady.length ? steady : seriesList;
}

/** True when positive values span more than three decades: a log axis shows them better. */
export function wantsLog(seriesList) {
  let min = Infinity;
  let max = -Infinity;
  for (const s of fitted(seriesList)) {
    for (const v of s.y) {
      if (!(v > 0)) return false;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return max / min > 1e3;
}

// --- scales -----------------------------------------------------------------------------------

function scale(domain, range, log) {
  const [d0, d1] = log ? domain.map(Math.log10) : domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const forward = (v) => r0 + ((log ? Math.log10(v) : v) - d0) * k;
  forward.invert = (p) => {
    const v = d0 + (p - r0) / (k || 1);
    return log ? 10 ** v : v;
  };
  return forward;
}

// Within DRAWABLE, every product and difference below stays far from float64's limits.
function paddedDomain(min, max, log) {
  if (!Number.isFinite(min)) return log ? [0.1, 1] : [0, 1];
  if (log) {
    if (min === max) return [min / 2, max * 2];
    const [low, high] = [Math.log10(min), Math.log10(max)];
    const pad = (high - low) * 0.05;
    return [10 ** (low - pad), 10 ** (high + pad)];
  }
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.06;
  return [min - pad, max + pad];
}

// --- path building ------------------------------------------------------------------------------

// Browsers read path numbers as 32-bit floats: a run heading for 1e300 must not reach the path as such.
// A point beyond this many screen units is moved towards the previous one, along the same direction,
// so the visible part of the segment is unchanged (the clip path hides the rest).
const SCREEN_LIMIT = 1e6;

function onScreen(previous, point) {
  const [x, y] = point;
  if (Math.abs(x) <= SCREEN_LIMIT && Math.abs(y) <= SCREEN_LIMIT) return point;
  const [px, py] = previous ?? [0, 0];
  const dx = x - px;
  const dy = y - py;
  const t = Math.min(1, SCREEN_LIMIT / Math.max(Math.abs(dx), Math.abs(dy)));
  return [px + dx * t, py + dy * t];
}

/** "M x y L x y ..." for screen points, each kept within SCREEN_LIMIT (see onScreen). */
function pathData(points) {
  let previous = null;
  return points
    .map((point, i) => {
      previous = onScreen(previous, point);
      return `${i ? "L" : "M"}${previous[0].toFixed(2)} ${previous[1].toFixed(2)}`;
    })
    .join("");
}

const OFF_CHART = 1e7; // pixels

/** "M x y L ..." for points; with more points than pixels, each pixel column keeps its first, lowest,
 *  highest and last point, so the drawn shape is the same as drawing them all. */
function linePath(xs, ys, sx, sy, width, log) {
  const parts = [];
  let pen = "M";
  const dense = xs.length > 2 * width;
  let column = null;
  let bucket = [];
  const flush = () => {
    if (!bucket.length) return;
    let lo = bucket[0];
    let hi = bucket[0];
    for (const p of bucket) {
      if (p[1] > lo[1]) lo = p;
      if (p[1] < hi[1]) hi = p;
    }
    const keep = [bucket[0], lo, hi, bucket[bucket.length - 1]].sort((a, b) => a[2] - b[2]);
    let last = -1;
    for (const p of keep) {
      if (p[2] === last) continue;
      parts.push(`${pen}${p[0].toFixed(1)} ${p[1].toFixed(1)}`);
      pen = "L";
      last = p[2];
    }
    bucket = [];
  };
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (!drawable(y, log)) {
      flush();
      pen = "M";
      continue;
    }
    const px = sx(xs[i]);
    // A diverged run's points can lie ~1e200 pixels off the chart (its axis fits the other runs): held
    // OFF_CHART pixels away, a segment from inside the chart still leaves it where it would (to a
    // hundredth of a pixel), and the renderer is given numbers it can hold.
    const py = Math.min(OFF_CHART, Math.max(-OFF_CHART, sy(y)));
    if (dense) {
      const c = Math.round(px);
      if (c !== column) {
        flush();
        column = c;
      }
      bucket.push([px, py, i]);
    } else {
      parts.push(`${pen}${px.toFixed(2)} ${py.toFixed(2)}`);
      pen = "L";
    }
  }
  flush();
  return parts.join("");
}

// --- axes ---------------------------------------------------------------------------------------

function drawAxes(svg, box, sx, sy, xTicks, yTicks, xLabel, yLabel, { grid: withGrid = true, yLog = false } = {}) {
  const grid = node("g", { class: "grid", visibility: withGrid ? "visible" : "hidden" }, svg);
  const labels = node("g", { class: "ticks" }, svg);
  const yLabels = tickLabels(yTicks, yLog);
  yTicks.forEach((t, i) => {
    const y = sy(t);
    node("line", { x1: box.left, x2: box.right, y1: y, y2: y }, grid);
    text(labels, box.left - 6, y + 4, yLabels[i], { "text-anchor": "end" });
  });
  const xLabels = tickLabels(xTicks);
  xTicks.forEach((t, i) => {
    const x = sx(t);
    node("line", { x1: x, x2: x, y1: box.top, y2: box.bottom }, grid);
    text(labels, x, box.bottom + 16, xLabels[i], { "text-anchor": "middle" });
  });
  node("rect", { class: "frame", x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top }, svg);
  if (xLabel) text(svg, (box.left + box.right) / 2, box.bottom + 32, xLabel, { class: "axis-label", "text-anchor": "middle" });
  if (yLabel) {
    // Beside the tick labels, wherever the plot's left edge is (a contour is centred, its box narrower).
    const cy = (box.top + box.bottom) / 2;
    const x = Math.max(13, box.left - 49);
    text(svg, x, cy, yLabel, { class: "axis-label", "text-anchor": "middle", transform: `rotate(-90 ${x} ${cy})` });
  }
}

function frame(host, width, height, name) {
  host.replaceChildren();
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": name }, host);
  return svg;
}

let clipCounter = 0;
function clip(svg, box) {
  const id = `clip-${++clipCounter}`;
  const defs = node("defs", {}, svg);
  const path = node("clipPath", { id }, defs);
  node("rect", { x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top }, path);
  return `url(#${id})`;
}

// --- line chart ---------------------------------------------------------------------------------

/**
 * Draw `series` ([{label, color, dashed, x, y}]) into `host`. Options: xLabel, yLabel, log, height.
 * Hovering shows every series' value at the nearest step.
 */
export function lineChart(host, series, { xLabel = "Step", yLabel = "", log = false, height = 280 } = {}) {
  const width = Math.max(320, Math.floor(host.clientWidth || 560));
  const svg = frame(host, width, height, `${yLabel || "Values"} by ${xLabel.toLowerCase()}: ${series.map((s) => s.label).join(", ")}`);
  const box = { left: 62, right: width - 14, top: 12, bottom: height - 40 };
  const [x0, x1] = extent(series.flatMap((s) => [s.x[0], s.x[s.x.length - 1]]), false);
  let [y0, y1] = [Infinity, -Infinity];
  for (const s of fitted(series, log)) {
    const [a, b] = extent(s.y, log);
    y0 = Math.min(y0, a);
    y1 = Math.max(y1, b);
  }
  const xDomain = Number.isFinite(x0) ? (x0 === x1 ? [x0 - 1, x1 + 1] : [x0, x1]) : [0, 1];
  const yDomain = paddedDomain(y0, y1, log);
  const sx = scale(xDomain, [box.left, box.right], false);
  const sy = scale(yDomain, [box.bottom, box.top], log);
  const xTicks = linearTicks(xDomain[0], xDomain[1], Math.max(3, Math.floor(width / 90)));
  const yTicks = log ? logTicks(...yDomain) : linearTicks(yDomain[0], yDomain[1], 5);
  drawAxes(svg, box, sx, sy, xTicks, yTicks, xLabel, yLabel, { yLog: log });
  const lines = node("g", { class: "lines", "clip-path": clip(svg, box) }, svg);
  for (const s of series) {
    const path = node("path", {
      class: "series",
      d: linePath(s.x, s.y, sx, sy, box.right - box.left, log),
      stroke: s.color,
      "data-label": s.label,
    }, lines);
    if (s.dashed) path.setAttribute("stroke-dasharray", "6 4");
  }
  hover(host, svg, box, sx, sy, series, log);
  return svg;
}

/** The index of the largest x <= target in an ascending list (-1 if none). */
function floorIndex(xs, target) {
  let lo = 0;
  let hi = xs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The index of `step` in an ascending list of steps, or -1. */
function indexOf(xs, step) {
  const i = floorIndex(xs, step);
  return i >= 0 && xs[i] === step ? i : -1;
}

/** The step nearest `target` among every series' own steps (which record_every can space out). */
function nearestStep(series, target) {
  let best = null;
  for (const s of series) {
    const i = floorIndex(s.x, target);
    for (const j of [i, i + 1]) {
      const x = s.x[j];
      if (x !== undefined && (best === null || Math.abs(x - target) < Math.abs(best - target))) best = x;
    }
  }
  return best;
}

function hover(host, svg, box, sx, sy, series, log) {
  const cursor = node("line", { class: "cursor", y1: box.top, y2: box.bottom, visibility: "hidden" }, svg);
  const dots = series.map((s) => node("circle", { r: 3.5, fill: s.color, visibility: "hidden" }, svg));
  const area = node("rect", {
    class: "hover-area", x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top,
  }, svg);
  const tip = document.createElement("div");
  tip.className = "tooltip";
  tip.hidden = true;
  host.appendChild(tip);
  const hide = () => {
    tip.hidden = true;
    cursor.setAttribute("visibility", "hidden");
    for (const d of dots) d.setAttribute("visibility", "hidden");
  };
  area.addEventListener("mouseleave", hide);
  area.addEventListener("mousemove", (event) => {
    const bounds = svg.getBoundingClientRect();
    const px = ((event.clientX - bounds.left) / bounds.width) * svg.viewBox.baseVal.width;
    const step = nearestStep(series, sx.invert(px));
    if (step === null) return hide();
    const rows = [];
    series.forEach((s, i) => {
      const at = indexOf(s.x, step);
      const value = s.y[at];
      const shown = at >= 0 && at < s.y.length && drawable(value, log);
      const cy = shown ? sy(value) : NaN;
      const onChart = cy >= box.top && cy <= box.bottom; // a diverged run's value can be off it: listed only
      dots[i].setAttribute("visibility", onChart ? "visible" : "hidden");
      if (!shown) return;
      if (onChart) {
        dots[i].setAttribute("cx", sx(s.x[at]));
        dots[i].setAttribute("cy", cy);
      }
      rows.push([s, value]);
    });
    if (!rows.length) return hide();
    cursor.setAttribute("x1", sx(step));
    cursor.setAttribute("x2", sx(step));
    cursor.setAttribute("visibility", "visible");
    const title = document.createElement("div");
    title.className = "tip-title";
    title.textContent = `step ${step}`;
    tip.replaceChildren(title);
    for (const [s, value] of rows) {
      const row = document.createElement("div");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = s.color;
      const name = document.createElement("span");
      name.className = "run-label";
      name.textContent = s.label;
      const number = document.createElement("b");
      number.textContent = formatNumber(value);
      row.append(swatch, name, number);
      tip.appendChild(row);
    }
    tip.hidden = false;
    const scaleX = bounds.width / svg.viewBox.baseVal.width;
    const left = sx(step) * scaleX;
    const flipped = left + 12 + tip.offsetWidth > bounds.width;
    tip.style.left = `${flipped ? Math.max(0, left - tip.offsetWidth - 12) : left + 12}px`; // within the chart
    tip.style.top = `${box.top * scaleX + 4}px`;
  });
}

// --- contour map --------------------------------------------------------------------------------

/** Levels at quantiles of z (squared spacing: denser near the minimum), as the service's figure does. */
function quantileLevels(z, count = 16) {
  const values = z.flat().filter(Number.isFinite).sort((a, b) => a - b);
  if (!values.length) return [];
  const levels = [];
  for (let i = 0; i < count; i++) {
    const q = (i / (count - 1)) ** 2;
    const v = values[Math.min(values.length - 1, Math.round(q * (values.length - 1)))];
    if (!levels.length || v > levels[levels.length - 1]) levels.push(v);
  }
  return levels;
}

// Marching squares: for each cell's corner pattern, the pairs of edges a level line crosses.
// Corners: bit 0 = (i, j), 1 = (i+1, j), 2 = (i+1, j+1), 3 = (i, j+1); edges: B, R, T, L(eft).
const CASES = {
  1: [["L", "B"]], 2: [["B", "R"]], 3: [["L", "R"]], 4: [["R", "T"]], 6: [["B", "T"]], 7: [["L", "T"]],
  8: [["T", "L"]], 9: [["B", "T"]], 11: [["R", "T"]], 12: [["L", "R"]], 13: [["B", "R"]], 14: [["L", "B"]],
};

function isolines(x, y, z, level) {
  const segments = [];
  for (let j = 0; j + 1 < y.length; j++) {
    for (let i = 0; i + 1 < x.length; i++) {
      const c = [z[j][i], z[j][i + 1], z[j + 1][i + 1], z[j + 1][i]];
      if (!c.every(Number.isFinite)) continue;
      const index = (c[0] > level) | ((c[1] > level) << 1) | ((c[2] > level) << 2) | ((c[3] > level) << 3);
      if (index === 0 || index === 15) continue;
      const at = (a, b) => (level - a) / (b - a);
      const edge = {
        B: () => [x[i] + at(c[0], c[1]) * (x[i + 1] - x[i]), y[j]],
        R: () => [x[i + 1], y[j] + at(c[1], c[2]) * (y[j + 1] - y[j])],
        T: () => [x[i] + at(c[3], c[2]) * (x[i + 1] - x[i]), y[j + 1]],
        L: () => [x[i], y[j] + at(c[0], c[3]) * (y[j + 1] - y[j])],
      };
      let pairs = CASES[index];
      if (index === 5 || index === 10) {
        const above = (c[0] + c[1] + c[2] + c[3]) / 4 > level;
        pairs = (index === 5) === above ? [["B", "R"], ["L", "T"]] : [["L", "B"], ["R", "T"]];
      }
      for (const [a, b] of pairs) segments.push([edge[a](), edge[b]()]);
    }
  }
  return segments;
}

// Low values white, high values grey (as the service's figure): every run's colour stands out on it.
const RAMP = [[255, 255, 255], [236, 237, 239], [214, 216, 220], [186, 189, 195], [150, 154, 161]];

function rampColor(t) {
  const p = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(p), RAMP.length - 2);
  const f = p - i;
  return RAMP[i].map((c, k) => Math.round(c + (RAMP[i + 1][k] - c) * f));
}

function heatmap(x, y, z, levels) {
  const canvas = document.createElement("canvas");
  canvas.width = x.length;
  canvas.height = y.length;
  const context = canvas.getContext("2d");
  const image = context.createImageData(x.length, y.length);
  const bins = Math.max(1, levels.length - 1);
  for (let j = 0; j < y.length; j++) {
    for (let i = 0; i < x.length; i++) {
      const v = z[j][i];
      let k = 0;
      while (k < levels.length - 1 && v > levels[k + 1]) k++;
      const lo = levels[k] ?? 0;
      const hi = levels[k + 1] ?? lo;
      const t = (k + (hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0)) / bins;
      const [r, g, b] = Number.isFinite(v) ? rampColor(t) : [255, 255, 255];
      const o = ((y.length - 1 - j) * x.length + i) * 4; // row 0 of the image is the top (largest y)
      image.data.set([r, g, b, 150], o);
    }
  }
  context.putImageData(image, 0, 0);
  return canvas.toDataURL();
}

/**
 * A contour map of `surface` ({x, y, z}: z[j][i] at (x[i], y[j])) with `paths` ([{label, color, points}])
 * drawn over it, each ending in a dot; `start` is a square, `minima` are stars.
 */
export function contourChart(host, surface, paths, { minima = [], maxHeight = 480 } = {}) {
  const { x, y, z } = surface;
  const xDomain = [x[0], x[x.length - 1]];
  const yDomain = [y[0], y[y.length - 1]];
  // Equal scales on both axes, so that valleys and bowls keep their true shape.
  const available = Math.max(320, Math.floor(host.clientWidth || 560));
  const aspect = (yDomain[1] - yDomain[0]) / (xDomain[1] - xDomain[0]);
  const margin = { left: 62, right: 14, top: 12, bottom: 40 };
  let plotWidth = available - margin.left - margin.right;
  let plotHeight = plotWidth * aspect;
  if (plotHeight > maxHeight) {
    plotHeight = maxHeight;
    plotWidth = plotHeight / aspect;
  }
  const offset = Math.max(0, (available - margin.left - margin.right - plotWidth) / 2);
  const width = available;
  const height = Math.round(plotHeight + margin.top + margin.bottom);
  const svg = frame(host, width, height, `Contour map with the paths of ${paths.map((p) => p.label).join(", ") || "no run"}`);
  const box = {
    left: margin.left + offset, right: margin.left + offset + plotWidth, top: margin.top, bottom: margin.top + plotHeight,
  };
  const sx = scale(xDomain, [box.left, box.right], false);
  const sy = scale(yDomain, [box.bottom, box.top], false);
  const levels = quantileLevels(z);
  node("image", {
    href: heatmap(x, y, z, levels),
    x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top,
    preserveAspectRatio: "none", class: "heat",
  }, svg);
  drawAxes(svg, box, sx, sy, linearTicks(...xDomain, 6), linearTicks(...yDomain, 5), "x₀", "x₁", { grid: false });
  const clipped = node("g", { "clip-path": clip(svg, box) }, svg);
  const contours = node("g", { class: "contours" }, clipped);
  for (const level of levels.slice(1, -1)) {
    const d = isolines(x, y, z, level)
      .map(([a, b]) => `M${sx(a[0]).toFixed(1)} ${sy(a[1]).toFixed(1)}L${sx(b[0]).toFixed(1)} ${sy(b[1]).toFixed(1)}`)
      .join("");
    if (d) node("path", { d, "data-level": level }, contours);
  }
  for (const p of paths) {
    if (!p.points.length) continue;
    const d = pathData(p.points.filter((q) => q.every(Number.isFinite)).map(([px, py]) => [sx(px), sy(py)]));
    node("path", { class: "series", d, stroke: p.color, "data-label": p.label }, clipped);
    const [ex, ey] = p.points[p.points.length - 1];
    if (Math.abs(sx(ex)) < SCREEN_LIMIT && Math.abs(sy(ey)) < SCREEN_LIMIT) {
      node("circle", { class: "end", cx: sx(ex), cy: sy(ey), r: 4, fill: p.color }, clipped);
    }
  }
  const first = paths.find((p) => p.points.length);
  if (first) {
    const [s0, s1] = first.points[0];
    node("rect", { class: "start", x: sx(s0) - 4, y: sy(s1) - 4, width: 8, height: 8 }, clipped);
  }
  for (const [mx, my] of minima) {
    const star = text(clipped, sx(mx), sy(my) + 7, "★", { class: "minimum", "text-anchor": "middle" });
    star.setAttribute("aria-label", "minimum");
  }
  return svg;
}
