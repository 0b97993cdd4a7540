// Form fields generated from JSON Schema (the API's /optimizers, /schedules and OpenAPI schemas).
// Each input carries data-field, the API's readable error path (e.g. "optimizers[0].lr"), so a 422's
// entries can be shown next to the input they are about.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "value" || (key in element && typeof value !== "string")) element[key] = value;
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const ICONS = {
  copy: "M8 8h11v11H8z M5 16V5h11",
  remove: "M6 6l12 12M18 6L6 18",
};

/** A small stroked SVG icon ("copy", "remove"). */
export function icon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "glyph");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

/** The non-null branch of `anyOf: [X, {type: null}]`, and whether null is allowed. */
function unwrapNullable(schema) {
  const branches = schema.anyOf || schema.oneOf;
  if (!branches) return [schema, false];
  const real = branches.filter((b) => b.type !== "null");
  if (real.length === 1 && real.length < branches.length) {
    return [{ ...real[0], ...pick(schema, ["default", "description", "title", "x-null-means"]) }, true];
  }
  return [schema, false];
}

function pick(object, keys) {
  const out = {};
  for (const k of keys) if (k in object) out[k] = object[k];
  return out;
}

/** A bound as written: integers past 2^53 (a seed's 2^63) are not exact in JavaScript: shown as a power. */
function boundText(value) {
  if (value === undefined || !Number.isInteger(value) || Math.abs(value) <= Number.MAX_SAFE_INTEGER) return value;
  const power = Math.round(Math.log2(Math.abs(value)));
  return 2 ** power === Math.abs(value) ? `${value < 0 ? "-" : ""}2^${power}` : value.toExponential(3);
}

/** "≥ 0", "[0, 1)", "> 0", "= 2": the bounds a number must respect, as a short hint. */
function boundsHint(schema) {
  const lo = boundText(schema.minimum ?? schema.exclusiveMinimum);
  const hi = boundText(schema.maximum ?? schema.exclusiveMaximum);
  const open = schema.exclusiveMinimum !== undefined ? "(" : "[";
  const close = schema.exclusiveMaximum !== undefined ? ")" : "]";
  if (lo !== undefined && lo === hi && open === "[" && close === "]") return `= ${lo}`; // a 2-D function's dim
  if (lo !== undefined && hi !== undefined) return `${open}${lo}, ${hi}${close}`;
  if (lo !== undefined) return `${open === "(" ? ">" : "≥"} ${lo}`;
  if (hi !== undefined) return `${close === ")" ? "<" : "≤"} ${hi}`;
  return "";
}

function numberText(value) {
  return value === undefined || value === null ? "" : String(value);
}

/** A decimal number as people and JSON write it: 0.1, .5, 5., -3, 1e-8. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The number a person typed, or NaN for anything else (not Number("0x10"), which is 16). */
export function readNumber(text) {
  return NUMBER.test(text) ? Number(text) : NaN;
}

/** Why `text` is not a usable number: it is not one, or it is beyond float64 (1e400 reads as Infinity). */
export function notANumber(text) {
  return NUMBER.test(text) ? `'${text}' is beyond float64's range (±1.8e308)` : `'${text}' is not a number`;
}

/** Parse what a person typed into a number field: [value, error]. Empty means "use the default". */
function parseNumber(raw, schema) {
  const textValue = raw.trim();
  if (textValue === "") return [undefined, null];
  const value = readNumber(textValue);
  if (!Number.isFinite(value)) return [undefined, notANumber(textValue)];
  if (schema.type === "integer" && !Number.isInteger(value)) return [undefined, "must be a whole number"];
  return [value, null];
}

function parseList(raw, schema) {
  const parts = raw.split(/[\s,;]+/).filter(Boolean);
  const values = [];
  for (const part of parts) {
    const [value, error] = parseNumber(part, schema.items || {});
    if (error) return [undefined, error];
    values.push(value);
  }
  return [values, null];
}

/** True for properties a generic field can edit (scalars, enums, lists of numbers). */
function isSimple(schema) {
  const [s] = unwrapNullable(schema);
  if (s.enum || s.const !== undefined) return true;
  if (["number", "integer", "boolean", "string"].includes(s.type)) return true;
  return s.type === "array" && ["number", "integer"].includes(s.items?.type);
}

const LONG_NAME = 18; // characters of a field's name that half a card holds, in the monospaced labels

/**
 * One labelled input for property `name` of `schema`. `value` is the current value (undefined: the
 * default applies); `onChange(value)` receives the parsed value, or undefined to go back to the default.
 */
function field(name, rawSchema, value, onChange, path) {
  const [schema, nullable] = unwrapNullable(rawSchema);
  const fallback = schema.default;
  const current = value === undefined ? fallback : value;
  const id = `f-${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
  const help = [schema.description, boundsHint(schema)].filter(Boolean).join(" ");
  // A name past half a card's width (initial_accumulator_value) takes the whole row rather than being cut.
  const wrap = h("div", { class: name.length > LONG_NAME ? "field long" : "field", "data-name": name });
  const error = h("div", { class: "field-error", hidden: true });
  const label = h("label", { for: id, title: help }, name);
  const modified = () => wrap.classList.toggle("modified", value !== undefined && value !== fallback);
  let input;
  if (schema.type === "boolean") {
    input = h("input", { type: "checkbox", id, checked: Boolean(current), "data-field": path });
    input.addEventListener("change", () => {
      value = input.checked === fallback ? undefined : input.checked;
      modified();
      onChange(value);
    });
    wrap.classList.add("check");
    wrap.append(h("label", { class: "toggle", title: help }, input, h("span", {}, name)), error);
    modified();
    return wrap;
  }
  if (schema.enum) {
    input = h("select", { id, "data-field": path });
    for (const option of schema.enum) input.append(h("option", { value: option, selected: option === current }, option));
    input.addEventListener("change", () => {
      value = input.value === fallback ? undefined : input.value;
      modified();
      onChange(value);
    });
  } else {
    const isList = schema.type === "array";
    const shown = isList ? (current || []).join(", ") : numberText(current);
    input = h("input", {
      type: "text",
      id,
      value: shown,
      inputmode: isList || schema.type === "string" ? "text" : "decimal",
      placeholder: nullable ? schema["x-null-means"] || "none" : isList ? "e.g. 10, 20" : numberText(fallback),
      autocomplete: "off",
      spellcheck: "false",
      "data-field": path,
    });
    input.addEventListener("input", () => {
      let parsed;
      let problem = null;
      if (isList) [parsed, problem] = parseList(input.value, schema);
      else if (schema.type === "string") parsed = input.value === "" ? undefined : input.value;
      else [parsed, problem] = parseNumber(input.value, schema);
      showError(input, problem);
      if (problem) return;
      value = parsed;
      modified();
      onChange(parsed);
    });
  }
  const hint = boundsHint(schema);
  wrap.append(label, input, ...(hint ? [h("span", { class: "hint" }, hint)] : []), error);
  modified();
  return wrap;
}

/** Show `message` under the input (null clears it). `origin` says who found the problem: "page" (text
 *  it cannot read: the request keeps the last good value) or "service" (a 422 about the request). */
export function showError(input, message, origin = "page") {
  // An input in a field or block shows it there; one in a card's head (a run's label), under the card's head.
  const wrap = input.closest(".field, .block, .card");
  const box = wrap?.querySelector(":scope > .field-error");
  input.classList.toggle("invalid", Boolean(message));
  input.setAttribute("aria-invalid", message ? "true" : "false");
  if (message) input.dataset.errorOrigin = origin;
  else delete input.dataset.errorOrigin;
  if (box) {
    box.textContent = message || "";
    box.hidden = !message;
  }
}

/** Fields for every simple property of an object schema; values live in `target` (edited in place). */
export function objectFields(schema, target, onChange, pathPrefix, { skip = [] } = {}) {
  const grid = h("div", { class: "fields" });
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    if (skip.includes(name) || prop.const !== undefined || !isSimple(prop)) continue;
    grid.append(
      field(name, prop, target[name], (value) => {
        if (value === undefined) delete target[name];
        else target[name] = value;
        onChange();
      }, `${pathPrefix}.${name}`),
    );
  }
  return grid;
}
