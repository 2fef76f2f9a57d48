// Every node is built here. Strings only ever become text nodes or attribute values: nothing from the broker is
// parsed as HTML, so a credential named "<img onerror=...>" is shown as those characters.

/** h("td", {class: "x"}, "text", childNode, [more]) */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(element, child);
    } else if (child instanceof Node) {
      element.append(child);
    } else {
      element.append(document.createTextNode(String(child)));
    }
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** A status line: kind is "ok", "error" or "info". */
export function notice(kind, text) {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function time(value) {
  if (!value) {
    return "—";
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function table(headers, rows, emptyText) {
  if (rows.length === 0) {
    return notice("info", emptyText);
  }
  return h("table", {},
    h("thead", {}, h("tr", {}, headers.map(header => h("th", { scope: "col" }, header)))),
    h("tbody", {}, rows));
}

/** A value of any JSON shape, as text. */
export function text(value) {
  if (value === undefined || value === null) {
    return "—";
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? "—" : value.map(text).join(", ");
  }
  if (typeof value === "object") {
    return JSON.stringify(value);
  }
  return String(value);
}

// The grant fields a key (or a workload profile's access tokens) may carry (v1.1).
const grantFields = ["credentials", "agents", "tokens", "sts", "subjects", "approval", "verifyAs", "rateLimitPerMinute", "quotaPerDay"];

/** The grants of a key, or of a workload profile's key fields: only those present, as a definition list. */
export function grants(key) {
  const present = grantFields.filter(field => key?.[field] !== undefined && key[field] !== null && !(Array.isArray(key[field]) && key[field].length === 0));
  if (present.length === 0) {
    return "—";
  }
  return h("dl", { class: "grants" }, present.map(field => [h("dt", {}, field), h("dd", {}, text(key[field]))]));
}

/** A map of names to values (labels, claim patterns) as a list of name=value, "—" for none. */
export function pairs(value) {
  const entries = Object.entries(value ?? {});
  if (entries.length === 0) {
    return "—";
  }
  return h("ul", { class: "labels" }, entries.map(([name, item]) => h("li", {}, `${name}=${item}`)));
}

/**
 * A danger button that takes two clicks: the first arms it (its text becomes confirmText), the second runs action
 * with the button disabled, enabling it again when action throws. No window.confirm, which a page cannot style or test.
 */
export function twoClickButton(label, confirmText, action) {
  const button = h("button", { type: "button", class: "danger" }, label);
  button.addEventListener("click", async () => {
    if (!button.classList.contains("armed")) {
      button.classList.add("armed");
      button.textContent = confirmText;
      return;
    }
    button.disabled = true;
    try {
      await action();
    } catch {
      button.disabled = false;
    }
  });
  return button;
}
