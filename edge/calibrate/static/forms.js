// Property forms built from the site file's JSON Schema (served by the tool at /api/schema),
// so a field added to the pydantic model shows up here with its title, description and bounds.
// Fields marked x-draw are drawn on the frame instead; x-ref fields choose among existing ids.
import { change, refIds } from "./model.js";

function resolve(schema, node) {
  while (node && node.$ref) node = schema.$defs[node.$ref.split("/").pop()];
  return node ?? {};
}

function element(tag, props = {}, children = []) {
  const el = Object.assign(document.createElement(tag), props);
  for (const child of children) el.append(child);
  return el;
}

function nullableInner(schema, node) {
  const variants = node.anyOf ?? [];
  const inner = variants.filter((v) => v.type !== "null");
  return variants.length === 2 && inner.length === 1 ? resolve(schema, inner[0]) : null;
}

function checkboxes(options, value, set, name) {
  const chosen = new Set(Array.isArray(value) ? value : []);
  const box = element("div", { className: "choices" });
  for (const option of options) {
    const input = element("input", { type: "checkbox", checked: chosen.has(option), value: option, name });
    input.addEventListener("change", () => {
      const picked = [...box.querySelectorAll("input:checked")].map((i) => i.value);
      set(picked);
    });
    box.append(element("label", {}, [input, ` ${option}`]));
  }
  return box;
}

function numberInput(node, value, set, name, allowEmpty) {
  const input = element("input", { type: "number", step: "any", name, value: value ?? "" });
  for (const [key, attr] of [["minimum", "min"], ["maximum", "max"]]) if (node[key] !== undefined) input[attr] = node[key];
  input.addEventListener("change", () => {
    if (input.value === "") set(allowEmpty ? null : undefined);
    else set(node.type === "integer" ? parseInt(input.value, 10) : parseFloat(input.value));
  });
  return input;
}

function textInput(node, value, set, name, allowEmpty) {
  const input = element("input", { type: "text", name, value: value ?? "" });
  if (node.pattern) {
    // HTML patterns are whole-value, "v"-flag regexps: drop the anchors, escape a trailing "-" in classes.
    const html = node.pattern.replace(/^\^|\$$/g, "").replace(/-\]/g, "\\-]");
    try {
      new RegExp(html, "v");
      input.pattern = html;
    } catch { /* the server's check still applies */ }
  }
  if (node.format === "date-time") input.placeholder = "2026-01-15T07:30:00+07:00";
  input.addEventListener("change", () => set(input.value === "" && allowEmpty ? null : input.value));
  return input;
}

// One editor for one value. set(v) stores it; undefined removes the key.
function editor(schema, node, value, set, name, allowEmpty = false, path = name) {
  node = resolve(schema, node);
  const inner = nullableInner(schema, node);
  if (inner) return editor(schema, inner, value, set, name, true, path);
  if (node.const !== undefined) return element("span", { textContent: node.const });
  if (node.type === "string" && node["x-ref"]) {
    const ids = refIds(node["x-ref"]);
    const select = element("select", { name }, [element("option", { value: "", textContent: "(choose)" })]);
    for (const id of new Set([...ids, ...(value ? [value] : [])])) select.append(element("option", { value: id, textContent: id }));
    select.value = value ?? "";
    select.addEventListener("change", () => set(select.value === "" ? undefined : select.value));
    return select;
  }
  if (node.enum) {
    const select = element("select", { name }, [element("option", { value: "", textContent: "(choose)" })]);
    for (const option of node.enum) select.append(element("option", { value: option, textContent: option }));
    select.value = value ?? node.default ?? "";
    select.addEventListener("change", () => set(select.value === "" ? undefined : select.value));
    return select;
  }
  if (node.type === "number" || node.type === "integer") return numberInput(node, value, set, name, allowEmpty);
  if (node.type === "string") return textInput(node, value, set, name, allowEmpty);
  if (node.type === "boolean") {
    const input = element("input", { type: "checkbox", checked: Boolean(value), name });
    input.addEventListener("change", () => set(input.checked));
    return input;
  }
  if (node.type === "array") return arrayEditor(schema, node, value, set, name);
  if (node.type === "object" && node.properties) return objectForm(schema, node, value ?? {}, set, path);
  if (node.type === "object" && node.propertyNames?.enum) return mapEditor(node, value, set, name);
  return element("code", { textContent: JSON.stringify(value) });
}

function arrayEditor(schema, node, value, set, name) {
  const items = resolve(schema, node.items);
  if (node["x-ref"]) return checkboxes(refIds(node["x-ref"]), value, set, name);
  if (items.enum) return checkboxes(items.enum, value ?? node.default, set, name);
  if (node.prefixItems) {
    const row = element("span");
    const current = Array.isArray(value) ? [...value] : [];
    node.prefixItems.forEach((part, k) => row.append(editor(schema, part, current[k], (v) => { current[k] = v; set([...current]); }, `${name}.${k}`)));
    return row;
  }
  if (items.type === "string") {
    const area = element("textarea", { name, rows: 3, value: (value ?? []).join("\n"), placeholder: (items.examples ?? []).join("\n") });
    area.addEventListener("change", () => set(area.value.split("\n").map((s) => s.trim()).filter(Boolean)));
    return area;
  }
  return element("code", { textContent: JSON.stringify(value) });
}

function mapEditor(node, value, set, name) {
  const box = element("div");
  const current = { ...(value ?? {}) };
  for (const key of node.propertyNames.enum) {
    const input = element("input", { type: "text", name: `${name}.${key}`, value: current[key] ?? "", placeholder: "(default)" });
    input.addEventListener("change", () => {
      if (input.value === "") delete current[key];
      else current[key] = input.value;
      set({ ...current });
    });
    box.append(element("div", {}, [element("small", { textContent: key }), element("br"), input]));
  }
  return box;
}

// A fieldset of an object's properties; `path` names it for problem messages ("calibration.lanes.0").
export function objectForm(schema, node, obj, set, path, { skipDrawn = true, onRename = null } = {}) {
  node = resolve(schema, node);
  const form = element("div", { className: "object" });
  const drawn = [];
  for (const [key, prop] of Object.entries(node.properties ?? {})) {
    if (skipDrawn && prop["x-draw"]) {
      drawn.push(prop.title ?? key);
      continue;
    }
    const fieldPath = path ? `${path}.${key}` : key;
    const store = (v) => change(() => {
      const old = obj[key];
      if (v === undefined) delete obj[key];
      else obj[key] = v;
      if (key === "id" && onRename && typeof old === "string" && typeof v === "string") onRename(old, v);
      set(obj);
    });
    const field = element("div", { className: "field" });
    field.dataset.path = fieldPath;
    field.append(element("label", { textContent: prop.title ?? key }));
    field.append(editor(schema, prop, obj[key], store, key, false, fieldPath));
    if (prop.description) field.append(element("div", { className: "help", textContent: prop.description }));
    field.append(element("div", { className: "field-problem" }));
    form.append(field);
  }
  if (drawn.length) form.prepend(element("p", { className: "muted", textContent: `Drawn on the frame: ${drawn.join(", ")}.` }));
  return form;
}

// Puts each problem under the form field it names (the longest matching field path wins).
export function showFieldProblems(root, problems) {
  const fields = [...root.querySelectorAll(".field[data-path]")];
  fields.forEach((f) => { f.querySelector(":scope > .field-problem").textContent = ""; });
  for (const problem of problems) {
    const where = problem.loc.join(".");
    const match = fields
      .filter((f) => where === f.dataset.path || where.startsWith(`${f.dataset.path}.`))
      .sort((a, b) => b.dataset.path.length - a.dataset.path.length)[0];
    if (match) {
      const slot = match.querySelector(":scope > .field-problem");
      slot.textContent = slot.textContent ? `${slot.textContent}; ${problem.reason}` : problem.reason;
    }
  }
}
