// The Optiscope playground: pick a gradient source and optimizers, see learning rates, trajectories, loss
// and paths. The whole view is one POST /simulate body plus a few view settings, kept in the URL's hash.

import { colorOf, contourChart, formatNumber, lineChart, wantsLog } from "./charts.js";
import { h, icon, notANumber, objectFields, readNumber, showError } from "./forms.js";

const DEBOUNCE_MS = 250;
const SURFACE_RESOLUTION = 90;

const catalog = { optimizers: [], schedules: [], scenarios: [], objectives: null, sources: {} };
let state = { body: {}, view: {} };
let answer = null;
let runToken = 0;
let controller = null;
let timer = null;
const surfaces = new Map();
const remembered = {}; // each gradient source's last body, so switching back restores it

const $ = (selector) => document.querySelector(selector);

// --- talking to the API ---------------------------------------------------------------------------

// A server started with an API key answers 401 without it: the page asks once and keeps the key for
// this tab only (sessionStorage), sending it as X-API-Key.
const KEY_STORE = "optiscope-api-key";

function headers(extra = {}) {
  const key = sessionStorage.getItem(KEY_STORE);
  return key ? { ...extra, "x-api-key": key } : extra;
}

class Unauthorized extends Error {}

async function getJSON(path) {
  const response = await fetch(path, { headers: headers({ accept: "application/json" }) });
  if (response.status === 401) throw new Unauthorized(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function askForKey() {
  const refused = Boolean(sessionStorage.getItem(KEY_STORE));
  const input = h("input", { type: "password", id: "api-key", placeholder: "X-API-Key", autocomplete: "off", "aria-label": "API key" });
  const form = h("form", { class: "key-form", onsubmit: (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORE, input.value.trim());
    location.reload();
  } }, input, " ", h("button", { type: "submit" }, "Use this key"));
  const box = $("#banner");
  const message = refused ? "The server refused this API key: enter another. " : "This server needs an API key. ";
  box.replaceChildren(h("strong", {}, message), form);
  box.hidden = false;
  box.dataset.sticky = "true";
  document.body.dataset.state = "error";
  input.focus();
}

function simulateURL(query = "") {
  return new URL(`simulate${query}`, document.baseURI).href;
}

// --- state in the URL -----------------------------------------------------------------------------

function encodeState(value) {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeState(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function saveURL() {
  history.replaceState(null, "", `#s=${encodeState(state)}`);
}

const isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);

/** A decoded link's state in the form the page works on, or null when it is not one. */
function normalized(decoded) {
  if (!isObject(decoded) || !isObject(decoded.body)) return null;
  const { body } = decoded;
  if (body.optimizers === undefined) {
    // The API's default: the tutorial's optimizers.
    body.optimizers = structuredClone(catalog.scenarios.find((s) => s.name === "tutorial")?.request.optimizers ?? []);
  }
  if (!Array.isArray(body.optimizers) || !body.optimizers.every((o) => isObject(o) && typeof o.name === "string")) {
    return null;
  }
  const view = isObject(decoded.view) ? decoded.view : {};
  if (!Array.isArray(view.hidden)) view.hidden = [];
  view.source ||= inferSource(body);
  return { body, view };
}

function stateFromURL() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has("s")) {
    let decoded = null;
    try {
      decoded = normalized(decodeState(hash.get("s")));
    } catch {
      // not base64 or not JSON: told below
    }
    if (decoded) return decoded;
    banner("The link's state could not be read; showing the tutorial instead.", [], { sticky: true });
  }
  const preset = catalog.scenarios.find((s) => s.name === hash.get("scenario"));
  return presetState(preset || catalog.scenarios[0]);
}

function presetState(preset) {
  if (!preset) return { body: {}, view: { source: "tutorial", coordinate: 0, hidden: [] } };
  const body = structuredClone(preset.request);
  return { body, view: { scenario: preset.name, source: inferSource(body), coordinate: preset.coordinate || 0, hidden: [] } };
}

// --- gradient sources -------------------------------------------------------------------------------

/**
 * The gradient sources the server documents, read from its OpenAPI document: kind -> {key, variants},
 * where `variants` maps each value of `key` (the property that tells a kind's models apart: a synthetic
 * source's `pattern`, an objective's `function`) to that model's JSON Schema.
 */
function sourceSchemas(openapi) {
  const schemas = openapi?.components?.schemas || {};
  const resolve = (schema) => (schema?.$ref ? schemas[schema.$ref.split("/").pop()] : schema);
  const leaves = [];
  const walk = (node) => {
    const schema = resolve(node);
    if (!schema) return;
    const branches = schema.oneOf || schema.anyOf;
    if (branches) branches.forEach(walk);
    else if (schema.properties?.kind?.const) leaves.push(schema);
  };
  walk(schemas.SimulateRequest?.properties?.gradients);
  const byKind = {};
  for (const leaf of leaves) (byKind[leaf.properties.kind.const] ||= []).push(leaf);
  const sources = {};
  for (const [kind, models] of Object.entries(byKind)) {
    const key = Object.keys(models[0].properties)
      .find((p) => p !== "kind" && models.every((m) => m.properties[p]?.const !== undefined)) ?? null;
    const variants = Object.fromEntries(models.map((m) => [key ? m.properties[key].const : kind, m]));
    sources[kind] = { key, variants };
  }
  return sources;
}

/** The model a gradient source body uses: by its key, else the one whose key has a default. */
function variantOf(g) {
  const source = catalog.sources[g?.kind];
  if (!source) return null;
  const models = Object.values(source.variants);
  return source.variants[g[source.key]] ?? models.find((m) => m.properties[source.key]?.default !== undefined) ?? models[0];
}

function isDefaultSynthetic(g) {
  const schema = g?.kind === "synthetic" && variantOf(g);
  return Boolean(schema) && Object.entries(g).every(([k, v]) => k === "kind" || schema.properties?.[k]?.default === v);
}

function inferSource(body) {
  const g = body.gradients;
  if (!g || isDefaultSynthetic(g)) return "tutorial";
  return g.kind;
}

const SOURCES = [
  ["tutorial", "Tutorial"],
  ["synthetic", "Synthetic"],
  ["sequence", "Sequence"],
  ["objective", "Objective"],
];

function setSource(kind) {
  if (kind === (state.view.source || inferSource(state.body))) return; // already there: nothing changes
  state.view.source = kind;
  if (state.body.gradients) remembered[state.body.gradients.kind] = state.body.gradients;
  if (kind === "tutorial") delete state.body.gradients;
  else if (remembered[kind]) state.body.gradients = remembered[kind];
  else if (kind === "sequence") state.body.gradients = { kind, values: [1, 0.5, -0.25, 0.125, 0.5, -1, 0.75, 0.25] };
  else if (kind === "objective") state.body.gradients = defaultObjective();
  else state.body.gradients = { kind };
  // An objective starts at its own start point; a D-vector start rarely fits another source.
  if (kind === "objective" || Array.isArray(state.body.initial)) delete state.body.initial;
  rebuild();
}

function defaultObjective() {
  const names = Object.keys(catalog.sources.objective?.variants || {});
  return { kind: "objective", function: names.includes("rosenbrock") ? "rosenbrock" : names[0] };
}

function sourcePanel() {
  const box = $("#source");
  const current = state.view.source || inferSource(state.body);
  const buttons = h("div", { class: "segmented", role: "tablist", "aria-label": "Gradient source" });
  const available = (kind) => kind === "tutorial" || Boolean(catalog.sources[kind]);
  // The one tab stop: the current source's tab, or the first one when the current source has none here (a
  // link from a server with more sources, or an unknown kind).
  const stop = SOURCES.some(([kind]) => kind === current && available(kind)) ? current : SOURCES[0][0];
  for (const [kind, title] of SOURCES) {
    const unavailable = !available(kind);
    buttons.append(
      h("button", {
        type: "button",
        role: "tab",
        "aria-selected": String(kind === current),
        tabindex: kind === stop ? "0" : "-1", // the arrows move between the tabs
        class: kind === current ? "active" : "",
        disabled: unavailable,
        title: unavailable ? "This server has no such gradient source yet." : "",
        "data-source": kind,
        onclick: () => setSource(kind),
      }, title),
    );
  }
  buttons.addEventListener("keydown", (event) => moveAlongTabs(event, buttons));
  const body = h("div", { class: "source-body" });
  const g = state.body.gradients;
  if (current === "tutorial") {
    body.append(
      h("p", { class: "note" }, "The tutorial's 50 gradients: ",
        h("code", {}, "np.random.seed(0); randn(50) * 0.2 + linspace(-0.5, 0.5, 50)"), "."),
    );
  } else if (current === "sequence") {
    body.append(sequenceEditor(g));
  } else if (current === "objective") {
    body.append(objectiveEditor(g));
  } else if (catalog.sources[current]) {
    body.append(variantEditor(g, "pattern"));
  }
  body.append(initialField());
  box.replaceChildren(h("h2", {}, "Gradients"), buttons, body);
}

/** The tab pattern's keys: the arrows pick the previous or next source (wrapping), Home and End the first
 * and last; the picked tab takes the focus and is selected at once. */
function moveAlongTabs(event, tablist) {
  const tabs = [...tablist.querySelectorAll("button:not([disabled])")];
  const at = tabs.indexOf(document.activeElement);
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
  let target = null;
  if (step) target = tabs[(at + step + tabs.length) % tabs.length];
  else if (event.key === "Home") target = tabs[0];
  else if (event.key === "End") target = tabs[tabs.length - 1];
  if (at < 0 || !target) return;
  event.preventDefault();
  target.focus();
  target.click();
}

function formatSequence(values) {
  if (!Array.isArray(values)) return "";
  return Array.isArray(values[0]) ? values.map((row) => row.join(", ")).join("\n") : values.join(", ");
}

/** Numbers separated by commas or spaces (one coordinate), or one row of D numbers per line; or JSON. */
function parseSequence(textValue) {
  const trimmed = textValue.trim();
  if (!trimmed) return [null, "enter at least one number"];
  if (trimmed.startsWith("{")) return [null, "a JSON object: the values are a list, [1, 2, 3] or [[1, 2], [3, 4]]"];
  if (trimmed.startsWith("[")) {
    try {
      return [JSON.parse(trimmed), null];
    } catch (error) {
      return [null, `not valid JSON: ${error.message}`];
    }
  }
  const rows = [];
  const lines = trimmed.split(/\n+/).map((line) => line.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const row = [];
    for (const part of line.split(/[\s,;]+/).filter(Boolean)) {
      const value = readNumber(part);
      if (!Number.isFinite(value)) return [null, `line ${i + 1}: ${notANumber(part)}`];
      row.push(value);
    }
    rows.push(row);
  }
  const widths = new Set(rows.map((r) => r.length));
  if (lines.length === 1 || [...widths].every((w) => w === 1)) return [rows.flat(), null];
  if (widths.size > 1) return [null, "every line must hold the same number of coordinates"];
  return [rows, null];
}

function sequenceEditor(g) {
  const summary = h("span", { class: "hint" });
  // While the text is invalid, the charts keep the last valid sequence: the summary says so.
  const describe = (values, stale = false) => {
    const d = Array.isArray(values?.[0]) ? values[0].length : 1;
    const size = `${values?.length ?? 0} steps × ${d} coordinate${d > 1 ? "s" : ""}`;
    summary.textContent = stale ? `showing the last valid sequence: ${size}` : size;
  };
  const area = h("textarea", {
    id: "sequence-values",
    rows: 5,
    spellcheck: "false",
    "data-field": "gradients.values",
    value: formatSequence(g.values),
  });
  area.addEventListener("input", () => {
    const [values, problem] = parseSequence(area.value);
    showError(area, problem);
    describe(problem ? g.values : values, Boolean(problem));
    if (problem) return;
    g.values = values;
    changed();
  });
  describe(g.values);
  return h("div", { class: "block" },
    h("label", { for: "sequence-values" }, "Gradients, one step per line (or comma-separated for one coordinate)"),
    area, summary, h("div", { class: "field-error", hidden: true }));
}

/** A select over a source kind's models (patterns, functions) and the chosen model's fields. */
function variantEditor(g, noun) {
  const source = catalog.sources[g.kind];
  const schema = variantOf(g);
  const wrap = h("div", { class: "block" });
  const names = Object.keys(source.variants);
  if (source.key && names.length > 1) {
    const current = g[source.key] ?? schema.properties[source.key].const;
    const titles = Object.fromEntries((catalog.objectives || []).map((o) => [o.name, o.title]));
    const id = `source-${source.key}`;
    const select = h("select", { id, "data-field": `gradients.${source.key}` },
      names.map((n) => h("option", { value: n, selected: n === current }, titles[n] || n.replace(/_/g, " "))));
    select.addEventListener("change", () => {
      state.body.gradients = { kind: g.kind, [source.key]: select.value, ...(g.steps ? { steps: g.steps } : {}) };
      if (g.kind === "objective") delete state.body.initial;
      rebuild();
    });
    wrap.append(h("div", { class: "field wide" }, h("label", { for: id }, noun), select,
      h("div", { class: "field-error", hidden: true })));
  }
  if (schema.description) wrap.append(h("p", { class: "note formula", title: schema.description }, schema.description));
  wrap.append(objectFields(schema, g, changed, "gradients", { skip: ["kind", source.key] }));
  return wrap;
}

function objectiveEditor(g) {
  return variantEditor(g, "function");
}

function startHint() {
  const g = state.body.gradients;
  if (g?.kind !== "objective") return "0";
  const entry = catalog.objectives?.find((o) => o.name === g.function);
  return entry && (g.dim ?? entry.dimensions?.default) === entry.start.length
    ? `the function's start: ${entry.start.join(", ")}`
    : "the function's start";
}

function initialField() {
  const input = h("input", {
    type: "text",
    id: "initial",
    "data-field": "initial",
    autocomplete: "off",
    value: state.body.initial === undefined ? "" : [state.body.initial].flat().join(", "),
    placeholder: startHint(),
  });
  input.addEventListener("input", () => {
    const parts = input.value.split(/[\s,;]+/).filter(Boolean).map(readNumber);
    if (parts.some((v) => !Number.isFinite(v))) return showError(input, "numbers only, separated by commas");
    showError(input, null);
    if (!parts.length) delete state.body.initial;
    else state.body.initial = parts.length === 1 ? parts[0] : parts;
    changed();
  });
  return h("div", { class: "field wide" },
    h("label", { for: "initial", title: "One number for every coordinate, or D numbers." }, "initial point"),
    input, h("div", { class: "field-error", hidden: true }));
}

// --- optimizers and schedules -----------------------------------------------------------------------

function optimizerInfo(name) {
  return catalog.optimizers.find((o) => o.name === name);
}

function optimizersPanel() {
  const list = state.body.optimizers || (state.body.optimizers = []);
  const cards = list.map((spec, index) => optimizerCard(spec, index));
  const add = h("select", { id: "add-optimizer", "aria-label": "Add an optimizer" },
    h("option", { value: "" }, "+ Add an optimizer…"),
    catalog.optimizers.map((o) => h("option", { value: o.name }, o.title)));
  add.addEventListener("change", () => {
    if (!add.value) return;
    const defaults = optimizerInfo(add.value)?.defaults || {};
    list.push({ name: add.value, ...("lr" in defaults ? { lr: defaults.lr } : {}) });
    rebuild();
  });
  $("#optimizers").replaceChildren(h("h2", {}, "Optimizers"), tuneToggle(), ...cards, add);
}

/** A card's accessible names follow its label as it is typed ("Remove run 2 (old)" until the next rebuild). */
function renameControls(card, before, after) {
  if (!card) return;
  for (const element of [card, ...card.querySelectorAll("[aria-label]")]) {
    const name = element.getAttribute("aria-label");
    if (name?.includes(before)) element.setAttribute("aria-label", name.replace(before, after));
  }
}

/** `tune: "lr"`: each optimizer's lr picked by a sweep first, so that the runs compare at their best lr rather
 *  than at one lr that suits some of them. */
function tuneToggle() {
  const box = h("input", { type: "checkbox", id: "tune-lr", "data-field": "tune", checked: state.body.tune === "lr" });
  box.addEventListener("change", () => {
    if (box.checked) state.body.tune = "lr";
    else for (const key of ["tune", "tune_values", "target"]) delete state.body[key]; // a 422 without tune
    changed();
  });
  return h("div", { class: "block" },
    h("label", { class: "toggle", for: "tune-lr", title: "POST /simulate with \"tune\": \"lr\": a sweep of "
      + "each optimizer's lr, scored by the final loss (objectives) or the distance to the target (sequences)" },
    box, "Tune each lr first (the best of a sweep, 10⁻⁴ … 1)"),
    state.body.gradients?.kind === "objective" ? null : h("p", { class: "hint" },
      "Without an objective a run is scored by its distance to the origin: the smallest lr tends to win."),
    h("div", { class: "field-error", hidden: true }));
}

function optimizerCard(spec, index) {
  const info = optimizerInfo(spec.name);
  const path = `optimizers[${index}]`;
  const list = state.body.optimizers;
  // Every card has the same controls: their accessible names say whose they are ("Remove run 2 (adagrad)").
  const runName = () => `run ${index + 1} (${spec.label || spec.name})`;
  const run = runName();
  let named = run; // as the label is typed
  const nameSelect = h("select", { class: "name", "data-field": `${path}.name`, "aria-label": `Optimizer of ${run}` },
    catalog.optimizers.map((o) => h("option", { value: o.name, selected: o.name === spec.name }, o.title)));
  nameSelect.addEventListener("change", () => {
    // An lr the person chose stays; the old optimizer's default gives way to the new one's.
    const chosen = spec.lr !== undefined && spec.lr !== info?.defaults?.lr;
    const fresh = optimizerInfo(nameSelect.value)?.defaults || {};
    const lr = chosen ? spec.lr : fresh.lr;
    list[index] = { name: nameSelect.value, ...(spec.label ? { label: spec.label } : {}), ...(lr !== undefined ? { lr } : {}) };
    if (spec.schedule) list[index].schedule = fitSchedule(spec.schedule, optimizerInfo(nameSelect.value));
    rebuild();
  });
  const label = h("input", {
    type: "text", class: "label", value: spec.label || "", placeholder: "label", "aria-label": `Label of ${run}`,
    "data-field": `${path}.label`, autocomplete: "off",
  });
  label.addEventListener("input", () => {
    if (label.value) spec.label = label.value;
    else delete spec.label;
    const renamed = runName();
    renameControls(label.closest(".card"), named, renamed);
    named = renamed;
    changed();
  });
  const header = h("div", { class: "card-head" },
    h("span", { class: "swatch", style: `background:${colorOf(index)}` }),
    nameSelect, label,
    h("button", {
      type: "button", class: "icon", title: "Duplicate", "aria-label": `Duplicate ${run}`, "data-control": `${path}.duplicate`,
      onclick: () => {
        const copy = structuredClone(spec);
        if (copy.label) copy.label = `${copy.label} (2)`;
        list.splice(index + 1, 0, copy);
        rebuild(); // the focus stays on this card's Duplicate
      },
    }, icon("copy")),
    h("button", {
      type: "button", class: "icon", title: "Remove", "aria-label": `Remove ${run}`, "data-control": `${path}.remove`,
      disabled: list.length === 1, onclick: () => {
        list.splice(index, 1);
        // The focus goes to the card that took this one's place (or the one before, when it was the last),
        // on its Remove, or on its optimizer when it is the last card left.
        const next = Math.min(index, list.length - 1);
        rebuild(list.length > 1 ? ["data-control", `optimizers[${next}].remove`] : ["data-field", `optimizers[${next}].name`]);
      },
    }, icon("remove")));
  const card = h("div", { class: "card", role: "group", "aria-label": run, "data-index": index, "data-optimizer": spec.name }, header,
    h("div", { class: "field-error", hidden: true }));
  if (info) {
    card.append(h("p", { class: "note", title: `${info.summary}\n\nLearning rate: ${info.learning_rate}` }, info.summary));
    card.append(objectFields(info.hyperparameters, spec, changed, path));
  }
  card.append(scheduleEditor(spec.schedule, (schedule) => {
    if (schedule) spec.schedule = fitSchedule(schedule, info);
    else delete spec.schedule;
    rebuild();
  }, `${path}.schedule`, catalog.schedules.map((s) => ({ kind: s.kind, title: s.title, schema: s.parameters })), "schedule", run));
  return card;
}

/** Child schedule kinds of an array-of-union property (SequentialLR's `schedulers`), from $defs. */
function unionKinds(prop, defs) {
  const branches = prop.items?.anyOf || prop.items?.oneOf || prop.items?.discriminator && Object.values(prop.items.discriminator.mapping);
  if (!branches) return null;
  const kinds = [];
  for (const branch of branches) {
    const ref = typeof branch === "string" ? branch : branch.$ref;
    const schema = ref ? defs?.[ref.split("/").pop()] : branch;
    const kind = schema?.properties?.kind?.const;
    if (kind) kinds.push({ kind, title: schema.title?.replace(/Spec$/, "") || kind, schema: { ...schema, $defs: defs } });
  }
  return kinds.length ? kinds : null;
}

/** A schedule picker and its parameters; `title` names it ("schedule", or a child's position), `owner` the
 *  run it belongs to (for its accessible name). */
function scheduleEditor(schedule, set, path, kinds, title, owner = "") {
  const allowNone = title === "schedule";
  const named = owner ? `${title} of ${owner}` : title;
  const select = h("select", { "data-field": `${path}.kind`, "aria-label": named[0].toUpperCase() + named.slice(1) },
    allowNone ? h("option", { value: "" }, "constant lr (no schedule)") : null,
    kinds.map((k) => h("option", { value: k.kind, selected: schedule?.kind === k.kind }, `${k.title} (${k.kind})`)));
  select.addEventListener("change", () => {
    const chosen = kinds.find((k) => k.kind === select.value);
    set(chosen ? seededSchedule(chosen) : null);
  });
  const block = h("div", { class: "schedule", "data-field-prefix": path },
    h("div", { class: "field wide" }, h("label", {}, title), select,
      h("div", { class: "field-error", hidden: true })));
  const chosen = kinds.find((k) => k.kind === schedule?.kind);
  if (!chosen) return block;
  block.append(objectFields(chosen.schema, schedule, changed, path, { skip: ["kind"] }));
  for (const [name, prop] of Object.entries(chosen.schema.properties || {})) {
    const children = unionKinds(prop, chosen.schema.$defs);
    if (!children) continue;
    const items = (schedule[name] ||= []);
    const nested = h("div", { class: "nested" });
    items.forEach((child, i) => {
      const editor = scheduleEditor(child, (value) => {
        if (value) items[i] = value;
        else items.splice(i, 1);
        rebuild();
      }, `${path}.${name}[${i}]`, children, `${name}[${i}]`, owner);
      const fewest = items.length <= (prop.minItems || 0); // SequentialLR needs one schedule at least
      editor.prepend(h("button", {
        type: "button", class: "icon remove-child", title: fewest ? "The last one cannot be removed" : "Remove",
        "aria-label": `Remove ${name}[${i}]${owner ? ` of ${owner}` : ""}`, "data-control": `${path}.${name}[${i}].remove`, disabled: fewest, onclick: () => {
          items.splice(i, 1);
          betweenChildren(schedule, chosen, items.length, -1, i);
          // As for a card: the focus goes to the schedule that took this one's place, else to "+ add".
          const removable = items.length > (prop.minItems || 0);
          const next = `${path}.${name}[${Math.min(i, items.length - 1)}].remove`;
          rebuild(["data-control", removable ? next : `${path}.${name}.add`]);
        },
      }, icon("remove")));
      nested.append(editor);
    });
    nested.append(h("button", { type: "button", class: "link", "data-control": `${path}.${name}.add`, onclick: () => {
      items.push(seededSchedule(children[0]));
      betweenChildren(schedule, chosen, items.length, 1);
      rebuild();
    } }, `+ add to ${name}`));
    block.append(h("div", { class: "block" }, h("label", {}, name), nested,
      h("div", { class: "field-error", hidden: true, "data-field": `${path}.${name}` })));
  }
  return block;
}

// SequentialLR's children after an add or a remove (wherever its schedules are edited, the milestones
// between them follow): an added child starts this many steps after the last milestone.
const CHILD_STEPS = 10;

/** Keep one milestone between two of the `count` children a schedule with `milestones` (SequentialLR) has
 *  after a change: a child added at the end (`change` 1) gets a milestone after the last; removing child
 *  `index` (`change` -1) drops the milestone where it began (where the next began, for the first), so its
 *  neighbour covers its steps. Counts that disagreed already (a hand-made link) end right: extra
 *  milestones go from the end, missing ones are added after the last. */
function betweenChildren(schedule, kind, count, change, index = 0) {
  if (!("milestones" in (kind.schema.properties || {}))) return;
  const milestones = Array.isArray(schedule.milestones) ? schedule.milestones : [];
  const wanted = Math.max(count - 1, 0);
  if (change < 0 && milestones.length === wanted + 1) milestones.splice(Math.max(index - 1, 0), 1);
  milestones.length = Math.min(milestones.length, wanted);
  while (milestones.length < wanted) milestones.push((milestones.at(-1) ?? 0) + CHILD_STEPS);
  schedule.milestones = milestones;
}

/** OneCycle cycles the optimizer's momentum (or beta1) unless told not to; an optimizer with neither cannot
 *  (torch raises, the service answers a 422), so the form gives such a OneCycle cycle_momentum: false, unless
 *  the person set it. */
function fitSchedule(schedule, info) {
  const defaults = info?.defaults || {};
  const cycles = "momentum" in defaults || "beta1" in defaults;
  if (schedule.kind !== "onecycle" || cycles || schedule.cycle_momentum !== undefined) return schedule;
  return { ...schedule, cycle_momentum: false };
}

/** A new schedule of `kind`: its defaults, and one child for list properties that need at least one. */
function seededSchedule(kind) {
  const schedule = { kind: kind.kind };
  for (const [name, prop] of Object.entries(kind.schema.properties || {})) {
    const children = unionKinds(prop, kind.schema.$defs);
    if (children && (prop.minItems || 0) > 0) schedule[name] = [seededSchedule(children[0])];
  }
  return schedule;
}

// --- running ------------------------------------------------------------------------------------------

function changed() {
  saveURL();
  markEdited();
  clearTimeout(timer);
  if (holdForPageErrors()) return;
  timer = setTimeout(run, DEBOUNCE_MS);
}

/** Inputs the page itself found wrong (unparsable text): their last good values are in the request. */
function pageErrors() {
  return document.querySelectorAll('[aria-invalid=true][data-error-origin=page]');
}

/** While an input holds what the page cannot read, nothing runs and the results are marked stale:
 *  the request would silently keep that input's previous value. */
function holdForPageErrors() {
  if (!pageErrors().length) return false;
  clearTimeout(timer);
  runToken++; // an answer already on its way is for a request the form no longer shows
  controller?.abort();
  document.body.dataset.state = "invalid";
  $("#results").classList.add("stale");
  $("#status").textContent = "Fix the marked input to run again: the charts show the last request that ran.";
  return true;
}

/** Rebuild the panels from the state, keeping keyboard focus on the same control (or on the one `key`
 * names: [attribute, value]). */
function rebuild(key = focusKey(document.activeElement)) {
  sourcePanel();
  optimizersPanel();
  restoreFocus(key);
  changed();
}

const FOCUS_KEYS = ["data-field", "data-control", "data-source", "data-run", "id"];

/** What identifies a control across a rebuild: its API field, action, source, run, or id. */
function focusKey(element) {
  if (!element || element === document.body) return null;
  for (const attribute of FOCUS_KEYS) {
    const value = element.getAttribute(attribute);
    if (value) return [attribute, value];
  }
  return null;
}

function restoreFocus(key) {
  if (!key) return;
  const element = document.querySelector(`[${key[0]}="${CSS.escape(key[1])}"]`);
  if (element && element !== document.activeElement) element.focus();
}

function markEdited() {
  const preset = catalog.scenarios.find((s) => s.name === state.view.scenario);
  // "edited · reset" only where there is a preset to go back to (else the picker says "custom").
  const edited = Boolean(preset) && JSON.stringify(preset.request) !== JSON.stringify(state.body);
  $("#scenario-bar").classList.toggle("edited", edited);
  $("#scenario-description").classList.toggle("edited", edited); // the text describes the preset, not this
  $("#scenario").value = preset ? preset.name : "";
}

// A long run is drawn from at most MAX_POINTS of its steps: unless the body sets its own record_every, the page
// asks for every k-th step (and the last). 10^5 steps were ~4·10^6 numbers and most of a second for charts a
// thousand pixels wide; downloads (CSV, figures) keep every step.
const MAX_POINTS = 2000;

/** The steps a body runs: its source's `steps`, or its sequence's length (the tutorial's 50 without one). */
function bodySteps(body) {
  const g = body.gradients;
  if (!g) return 50;
  if (g.kind === "sequence") return Array.isArray(g.values) ? g.values.length : 0;
  return g.steps ?? variantOf(g)?.properties?.steps?.default ?? 0;
}

/** The body the page sends to draw: the view's, thinned to MAX_POINTS steps a run when it is long. */
function drawnBody(body = state.body) {
  const steps = bodySteps(body);
  if (body.record_every != null || !(steps > MAX_POINTS)) return body;
  return { ...body, record_every: Math.ceil(steps / MAX_POINTS) };
}

function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" })[n % 10] || "th";
  return `${n}${suffix}`;
}

async function run() {
  const token = ++runToken;
  controller?.abort();
  controller = new AbortController();
  document.body.dataset.state = "running";
  const started = performance.now();
  let response;
  try {
    response = await fetch(simulateURL(), {
      method: "POST",
      headers: headers({ "content-type": "application/json", accept: "application/json" }),
      body: JSON.stringify(drawnBody()),
      signal: controller.signal,
    });
  } catch (error) {
    if (error.name === "AbortError") return;
    return failed(`The service did not answer: ${error.message}`);
  }
  const payload = await response.json().catch(() => null);
  if (token !== runToken) return;
  clearErrors();
  if (response.status === 401) return askForKey();
  if (holdForPageErrors()) return;
  if (response.status === 422 && Array.isArray(payload?.detail)) return invalid(payload.detail);
  if (!response.ok) return failed(`The service answered ${response.status}: ${payload?.detail ?? response.statusText}`);
  answer = payload;
  document.body.dataset.state = "ready";
  $("#results").classList.remove("stale");
  const ms = Math.round(performance.now() - started);
  // recorded_steps starts at k with record_every k (listed only when k > 1); k >= T keeps the last step alone
  const kept = answer.recorded_steps;
  const every = !kept?.length ? "" : kept.length === 1 ? " (the last drawn)" : ` (every ${ordinal(kept[0])} drawn)`;
  $("#status").textContent = `${answer.runs.length} run${answer.runs.length > 1 ? "s" : ""} · ${answer.steps} steps${every} · D = ${answer.dim} · ${ms} ms`;
  await draw();
  document.body.dataset.draws = String(Number(document.body.dataset.draws || 0) + 1);
}

function failed(message) {
  document.body.dataset.state = "error";
  $("#results").classList.add("stale");
  banner(message);
}

/** A message over the results; a sticky one (a link that could not be read, an API key asked for)
 *  stays through the next run, until the person changes something. */
function banner(message, items = [], { sticky = false } = {}) {
  const box = $("#banner");
  box.replaceChildren(h("strong", {}, message), ...(items.length ? [h("ul", {}, items.map((t) => h("li", {}, t)))] : []));
  box.dataset.sticky = String(sticky);
  box.hidden = false;
}

/** Clear what the service said about the last request (not what the page found in its inputs). */
function clearErrors() {
  const box = $("#banner");
  if (box.dataset.sticky !== "true") box.hidden = true;
  for (const input of document.querySelectorAll("[aria-invalid=true][data-error-origin=service]")) showError(input, null);
}

/** Show each 422 entry next to the input whose data-field is its field (or the nearest enclosing one). */
function invalid(detail) {
  const unplaced = [];
  const inputs = [...document.querySelectorAll("[data-field]")];
  for (const entry of detail) {
    const target = entry.field || "";
    let best = null;
    for (const input of inputs) {
      const f = input.dataset.field;
      const covers = target === f || target.startsWith(`${f}.`) || target.startsWith(`${f}[`);
      if (covers && (!best || f.length > best.dataset.field.length)) best = input;
    }
    if (best && best.matches("input, select, textarea")) showError(best, entry.msg, "service");
    else unplaced.push(`${target}: ${entry.msg}`);
  }
  document.body.dataset.state = "invalid";
  $("#results").classList.add("stale");
  $("#status").textContent = answer
    ? "The service refused this request (see the marked inputs): the charts show the last request that ran."
    : "The service refused this request: see the marked inputs.";
  if (unplaced.length) banner("The service could not run this request:", unplaced);
}

// --- drawing ------------------------------------------------------------------------------------------

function visibleRuns() {
  const hidden = new Set(state.view.hidden || []);
  return answer.runs.map((run, index) => ({ run, index, color: colorOf(index) })).filter(({ run }) => !hidden.has(run.label));
}

function column(rows, c) {
  return rows.map((row) => row[c]);
}

function steps(from, count) {
  return Array.from({ length: count }, (_, i) => from + i);
}

// The step of each of a series' `count` rows: 1, 2, ... or, when the request kept every k-th step
// (record_every), the answer's recorded_steps. Series of points (params, loss) start with step 0.
function stepsOf(count, points = false) {
  const kept = answer.recorded_steps;
  if (!kept) return steps(points ? 0 : 1, count);
  return (points ? [0, ...kept] : kept).slice(0, count);
}

/** The coordinate the charts show: the one picked, within the answer's D (a D can shrink under it). */
function shownCoordinate() {
  return Math.min(state.view.coordinate || 0, answer.dim - 1);
}

async function draw() {
  if (!answer) return;
  const c = shownCoordinate();
  legend();
  coordinatePicker(c);
  const runs = visibleRuns();
  const suffix = answer.dim > 1 ? ` · coordinate ${c}` : "";

  const lr = runs.filter(({ run }) => run.learning_rates).map(({ run, color }) => {
    const y = column(run.learning_rates, c);
    return { label: run.label, color, x: stepsOf(y.length), y, dashed: y.every((v) => v === y[0]) };
  });
  const auto = wantsLog(lr);
  const log = state.view.lrLog ?? auto;
  $("#lr-log").checked = log;
  chart("lr", lr, { yLabel: "Learning rate", log }, suffix);

  const trajectories = runs.filter(({ run }) => run.params).map(({ run, color }) => {
    const y = column(run.params, c);
    return { label: run.label, color, x: stepsOf(y.length, true), y, diverged: Boolean(run.diverged_at) };
  });
  chart("trajectory", trajectories, { yLabel: "Parameter value" }, suffix);

  const losses = runs.filter(({ run }) => run.loss).map(({ run, color }) => ({
    label: run.label, color, x: stepsOf(run.loss.length, true), y: run.loss, diverged: Boolean(run.diverged_at),
  }));
  const withLoss = answer.runs.some((run) => run.loss); // its runs all hidden: the chart says so
  $("#chart-loss").hidden = !withLoss;
  if (withLoss) chart("loss", losses, { yLabel: "Loss", log: wantsLog(losses) }, "");

  // A closed loop's runs each have their own gradients; an open loop's share the answer's.
  const gradients = answer.runs.some((run) => run.gradients)
    ? runs.filter(({ run }) => run.gradients).map(({ run, color }) => ({
      label: run.label, color, x: stepsOf(run.gradients.length), y: column(run.gradients, c),
      diverged: Boolean(run.diverged_at),
    }))
    : answer.gradients
      ? [{ label: "gradient", color: "#555", x: stepsOf(answer.gradients.length), y: column(answer.gradients, c) }]
      : [];
  chart("gradients", gradients, { yLabel: "Gradient" }, suffix);

  await contour(runs);
  summary();
}

function chart(name, series, options, suffix) {
  const figure = $(`#chart-${name}`);
  figure.querySelector(".sub").textContent = suffix;
  const plot = figure.querySelector(".plot");
  if (!series.length) {
    const hidden = answer.runs.length && !visibleRuns().length;
    const why = hidden ? "Every run is hidden: pick one in the legend." : "Not recorded in this request.";
    plot.replaceChildren(h("p", { class: "empty" }, why));
    return;
  }
  lineChart(plot, series, options);
}

function legend() {
  const hidden = new Set(state.view.hidden || []);
  const key = focusKey(document.activeElement);
  $("#legend").replaceChildren(...answer.runs.map((run, index) => h("button", {
    type: "button",
    "data-run": run.label,
    class: `chip${hidden.has(run.label) ? " off" : ""}`,
    title: `${hidden.has(run.label) ? "Show" : "Hide"} ${run.label}`, // the whole label, which the chip may shorten
    "aria-pressed": String(!hidden.has(run.label)),
    onclick: () => {
      const set = new Set(state.view.hidden || []);
      if (set.has(run.label)) set.delete(run.label);
      else set.add(run.label);
      state.view.hidden = [...set];
      saveURL();
      draw();
    },
  }, h("span", { class: "swatch", style: `background:${colorOf(index)}` }), h("span", { class: "run-label" }, run.label),
  run.diverged_at ? h("span", { class: "badge" }, `diverged at ${run.diverged_at}`) : null)));
  restoreFocus(key);
}

// A select lists up to this many coordinates; a wider answer gets a number field (any of its D).
const LISTED_COORDINATES = 1000;

function coordinatePicker(c) {
  const box = $("#coordinate-box");
  box.hidden = answer.dim < 2;
  if (answer.dim < 2) return;
  let picker = $("#coordinate");
  const wide = answer.dim > LISTED_COORDINATES;
  if (wide !== (picker.tagName === "INPUT")) {
    const next = wide
      ? h("input", { id: "coordinate", type: "number", min: "0", step: "1", inputmode: "numeric", "aria-label": "coordinate" })
      : h("select", { id: "coordinate" });
    picker.replaceWith(next);
    picker = next;
  }
  if (wide) picker.max = String(answer.dim - 1);
  else if (picker.options.length !== answer.dim) {
    picker.replaceChildren(...steps(0, answer.dim).map((i) => h("option", { value: i }, `coordinate ${i}`)));
  }
  picker.value = String(c);
}

/** A coordinate picked (listed, or typed for a wide answer): drawn if it is one of the answer's D. */
function pickCoordinate(event) {
  const text = event.target.value.trim(); // "" for a number field holding what is not a number
  const picked = text === "" ? NaN : Number(text);
  if (!Number.isInteger(picked) || picked < 0 || picked >= answer.dim) {
    event.target.value = String(shownCoordinate()); // not a coordinate: back to the one shown
    return;
  }
  state.view.coordinate = picked;
  saveURL();
  draw();
}

// The summary shows this many final coordinates of a run, then how many more there are.
const SUMMARY_VALUES = 6;

function finalText(values) {
  const shown = values.slice(0, SUMMARY_VALUES).map((v) => formatNumber(v)).join(", ");
  return values.length > SUMMARY_VALUES ? `${shown}, … (${values.length - SUMMARY_VALUES} more)` : shown;
}

/** The lr a run used: its own, or the one its tuning chose ("(tuned)"; its own when no value scored). */
function lrText(run) {
  if (!run.tuning) return run.hyperparameters?.lr === undefined ? "—" : formatNumber(run.hyperparameters.lr);
  if (run.tuning.chosen === null) return `${formatNumber(run.hyperparameters.lr)} (no value scored)`; // it keeps its own
  return `${formatNumber(run.tuning.chosen)} (tuned)`;
}

function summary() {
  const rows = answer.runs.map((run, index) => h("tr", {},
    h("td", { title: run.label }, h("div", { class: "run-cell" },
      h("span", { class: "swatch", style: `background:${colorOf(index)}` }), h("span", { class: "run-label" }, run.label))),
    h("td", {}, run.name),
    h("td", { class: "num", title: run.tuning ? `tuned: the best of ${run.tuning.values.length} values` : null },
      lrText(run)),
    h("td", { class: "num", title: run.final.length > SUMMARY_VALUES ? "The CSV download has every coordinate." : null },
      finalText(run.final)),
    h("td", { class: "num" }, run.loss ? formatNumber(run.loss[run.loss.length - 1]) : "—"),
    h("td", { class: "num" }, run.diverged_at ?? "—")));
  $("#summary tbody").replaceChildren(...rows);
}

// --- contour of 2-D objectives ----------------------------------------------------------------------------

// The contour's window: the function's plotting window, widened to hold the paths of the runs that stayed
// finite (and a margin of PATH_MARGIN of the span, so that a path's end is not drawn on the frame), but at
// most MAX_WIDENING times its own size (the service's figure does the same). A diverged run's path leaves
// the frame, as its line leaves the other charts.
const PATH_MARGIN = 0.05;
const MAX_WIDENING = 3;

/** [x_min, x_max, y_min, y_max]: the catalog's window for the function, widened to hold the finite runs'
 * paths (every path when all diverged). */
function plotWindow(entry, runs) {
  const w = entry.window;
  const box = [[w.x_min, w.x_max], [w.y_min, w.y_max]];
  const finite = runs.filter(({ run }) => run.diverged_at == null);
  const points = (finite.length ? finite : runs).flatMap(({ run }) => run.params || []);
  return box.flatMap(([lo, hi], axis) => {
    const center = (lo + hi) / 2;
    const half = (hi - lo) / 2;
    const values = points.map((p) => p[axis]).filter(Number.isFinite);
    const [first, last] = [Math.min(...values), Math.max(...values)];
    const margin = PATH_MARGIN * (Math.max(hi, last) - Math.min(lo, first));
    const low = Math.max(first < lo ? first - margin : lo, center - MAX_WIDENING * half);
    const high = Math.min(last > hi ? last + margin : hi, center + MAX_WIDENING * half);
    return [low, high];
  });
}

/** The function's own parameters in a body, as the surface endpoint takes them in its query. */
function surfaceQuery(entry, g, window) {
  const [x0, x1, y0, y1] = window;
  const query = new URLSearchParams({ x_min: x0, x_max: x1, y_min: y0, y_max: y1, resolution: SURFACE_RESOLUTION });
  if (g.dim !== undefined) query.set("dim", g.dim);
  for (const name of Object.keys(entry.parameters?.properties || {})) {
    if (g[name] === undefined) continue;
    query.set(name, g[name] === null ? "null" : Array.isArray(g[name]) ? g[name].join(",") : g[name]);
  }
  return query;
}

async function contour(runs) {
  const figure = $("#chart-contour");
  const g = state.body.gradients;
  const entry = catalog.objectives?.find((o) => o.name === g?.function);
  const show = g?.kind === "objective" && answer.dim === 2 && entry;
  figure.hidden = !show;
  if (!show) return;
  const query = surfaceQuery(entry, g, plotWindow(entry, runs));
  const url = `objectives/${encodeURIComponent(g.function)}/surface?${query}`;
  if (!surfaces.has(url)) {
    if (surfaces.size >= 16) surfaces.delete(surfaces.keys().next().value); // keep the latest few
    surfaces.set(url, getJSON(url).catch((error) => ({ error })));
  }
  const surface = await surfaces.get(url);
  const plot = figure.querySelector(".plot");
  if (surface.error) {
    plot.replaceChildren(h("p", { class: "empty" }, `The surface could not be loaded (${surface.error.message}).`));
    return;
  }
  const paths = runs.filter(({ run }) => run.params).map(({ run, color }) => ({ label: run.label, color, points: run.params }));
  const minima = answer.objective?.minima || entry.minimum?.points || [];
  contourChart(plot, surface, paths, { minima: minima.filter((m) => m.length === 2) });
}

// --- toolbar ------------------------------------------------------------------------------------------------

function shellQuote(value) {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

function curlCommand(body, url = simulateURL()) {
  // The key itself stays out of the clipboard: the command reads it from the environment.
  const key = sessionStorage.getItem(KEY_STORE) ? ` -H "x-api-key: $OPTISCOPE_API_KEY"` : "";
  return `curl -s -X POST ${shellQuote(url)} -H 'content-type: application/json'${key} -d ${shellQuote(JSON.stringify(body))}`;
}

async function copy(textValue, what) {
  try {
    await navigator.clipboard.writeText(textValue);
    toast(`${what} copied to the clipboard.`);
  } catch {
    const dialog = $("#copy-dialog");
    dialog.querySelector("textarea").value = textValue;
    dialog.showModal();
    dialog.querySelector("textarea").select();
  }
}

function toast(message) {
  const box = $("#toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => { box.hidden = true; }, 2200);
}

async function download(accept, extension) {
  if (pageErrors().length) return toast("Fix the marked input first.");
  const query = accept.startsWith("image/") && answer?.dim > 1 ? `?coordinate=${shownCoordinate()}` : "";
  const response = await fetch(simulateURL(query), {
    method: "POST",
    headers: headers({ "content-type": "application/json", accept }),
    body: JSON.stringify(state.body),
  });
  if (!response.ok) {
    const payload = await response.json().catch(() => ({}));
    const { detail } = payload ?? {};
    const items = Array.isArray(detail) ? detail.map((entry) => (entry.field ? `${entry.field}: ${entry.msg}` : entry.msg)) : [];
    return banner(`Download failed (${response.status})${typeof detail === "string" ? `: ${detail}` : ""}`, items);
  }
  const url = URL.createObjectURL(await response.blob());
  const edited = $("#scenario-bar").classList.contains("edited") ? "-edited" : "";
  const link = h("a", { href: url, download: `optiscope-${state.view.scenario || "run"}${edited}.${extension}` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function wireToolbar() {
  $("#copy-curl").addEventListener("click", () => {
    if (pageErrors().length) return toast("Fix the marked input first.");
    copy(curlCommand(drawnBody()), "curl command");
  });
  $("#copy-link").addEventListener("click", () => copy(location.href, "Link"));
  for (const button of document.querySelectorAll("[data-download]")) {
    button.addEventListener("click", () => download(button.dataset.download, button.dataset.extension));
  }
  $("#lr-log").addEventListener("change", (event) => {
    state.view.lrLog = event.target.checked;
    saveURL();
    draw();
  });
  $("#coordinate-box").addEventListener("change", pickCoordinate); // the box: its picker is replaced by D
  $("#copy-dialog button").addEventListener("click", () => $("#copy-dialog").close());
  $("#reset-scenario").addEventListener("click", () => loadScenario(state.view.scenario));
  // A link pasted into this tab's address bar changes only the hash: follow it.
  window.addEventListener("hashchange", () => {
    unstick();
    state = stateFromURL();
    describeScenario();
    rebuild();
  });
  // An edit clears a sticky message (a link that could not be read): the page now shows the edit.
  // An input the page cannot read holds the run (its own handler has just marked it).
  $(".controls").addEventListener("input", () => {
    $("#banner").dataset.sticky = "false";
    holdForPageErrors();
  });
  let frame = 0;
  new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => draw());
  }).observe($("#charts"));
}

function scenarioPicker() {
  const select = $("#scenario");
  select.replaceChildren(h("option", { value: "", disabled: true }, "custom"),
    ...catalog.scenarios.map((s) => h("option", { value: s.name }, s.title)));
  select.addEventListener("change", () => loadScenario(select.value));
}

/** A new view (a scenario picked, a link followed): a sticky message about the old one goes. */
function unstick() {
  const box = $("#banner");
  if (box.dataset.sticky !== "true" || $("#api-key")) return; // the API key form stays until a key is given
  box.dataset.sticky = "false";
  box.hidden = true;
}

function loadScenario(name) {
  const preset = catalog.scenarios.find((s) => s.name === name);
  if (!preset) return;
  unstick();
  state = presetState(preset);
  describeScenario();
  rebuild();
}

function describeScenario() {
  const preset = catalog.scenarios.find((s) => s.name === state.view.scenario);
  $("#scenario-description").textContent = preset ? preset.description : "";
}

// --- start ------------------------------------------------------------------------------------------------

async function start() {
  const [optimizers, schedules, scenarios, openapi] = await Promise.all([
    getJSON("optimizers"),
    getJSON("schedules"),
    getJSON("scenarios"),
    getJSON("openapi.json"),
  ]);
  // Objectives are a newer part of the API: offered when this server documents them.
  const objectives = openapi.paths?.["/objectives"] ? await getJSON("objectives") : null;
  Object.assign(catalog, { optimizers, schedules, scenarios, objectives, sources: sourceSchemas(openapi) });
  scenarioPicker();
  wireToolbar();
  state = stateFromURL();
  describeScenario();
  sourcePanel();
  optimizersPanel();
  markEdited();
  saveURL();
  await run();
}

start().catch((error) => {
  if (error instanceof Unauthorized) askForKey();
  else failed(`The playground could not start: ${error.message}`);
});
