// Filling the app's forms by their accessible names (ui-contract.md), the
// way a person using a screen reader finds them. Fields are located by
// label only; how a field is built (text field, MUI Select, Autocomplete,
// native select, checkbox, radio group) decides how it is filled.

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The accessible name of a label: exact text, any apostrophe, an optional required marker or "(optional)". */
export function named(text) {
  const body = escape(text.trim()).replace(/'/g, "['’]");
  return new RegExp(`^\\s*${body}\\s*(\\*|\\(optional\\))?\\s*$`, "i");
}

/** A regular expression for a visible option or a plain string. */
const asRE = (o) => (o instanceof RegExp ? o : new RegExp(`^\\s*${escape(String(o))}\\s*$`, "i"));

/** A button by its exact accessible name. */
export const button = (scope, name) => scope.getByRole("button", { name: named(name) });

/** A heading by its text (the start of it: headings may greet by name). */
export const heading = (scope, text) => scope.getByRole("heading", { name: new RegExp(`^\\s*${escape(text).replace(/'/g, "['’]")}`, "i") });

/**
 * Fills the field labelled `label` with value. option (a RegExp or text)
 * picks the entry of a select or of an autocomplete's list; without it a
 * select gets the entry named like value. A free-text autocomplete keeps
 * the typed value when nothing matches, unless mustPick.
 */
export async function fill(scope, label, value, { option, mustPick = false } = {}) {
  const el = scope.getByLabel(named(label)).first();
  await el.waitFor({ state: "visible" }).catch(() => {
    throw new Error(`no visible field labelled "${label}"`);
  });
  const kind = await el.evaluate((e) => ({ tag: e.tagName, role: e.getAttribute("role") || "", type: e.getAttribute("type") || "" }));
  const page = el.page();
  const pick = asRE(option ?? value);
  if (kind.tag === "SELECT") {
    const labels = await el.evaluate((e) => [...e.options].map((o) => o.label));
    const hit = labels.find((l) => pick.test(l));
    if (!hit) throw new Error(`"${label}" has no option like ${pick} (has: ${labels.join(", ")})`);
    await el.selectOption({ label: hit });
    return;
  }
  if (kind.tag === "INPUT" && (kind.type === "checkbox" || kind.type === "radio")) {
    await el.check();
    return;
  }
  if (kind.role === "combobox" && kind.tag !== "INPUT") {
    // MUI Select: a button-like element that opens a listbox.
    await el.click();
    await page.getByRole("option", { name: pick }).first().click();
    return;
  }
  await el.fill(String(value));
  if (kind.role === "combobox") {
    // An autocomplete: take the matching suggestion when one shows up;
    // a free-text one keeps what was typed.
    const hit = page.getByRole("option", { name: pick }).first();
    const shown = await hit.waitFor({ state: "visible", timeout: mustPick ? 10000 : 1500 }).then(() => true, () => false);
    if (shown) await hit.click();
    else if (mustPick) throw new Error(`"${label}" offers no option like ${pick}`);
  } else if (mustPick) {
    throw new Error(`"${label}" is a plain text field, not a list to pick from`);
  }
}

/** Reads the value of the text field labelled `label`. */
export async function valueOf(scope, label) {
  const el = scope.getByLabel(named(label)).first();
  await el.waitFor({ state: "visible" });
  return el.inputValue();
}

/** The answer this test gives to a questionnaire item (Go hands the items over). */
function answerFor(item) {
  switch (item.type) {
    case "integer":
    case "decimal": {
      const lo = item.minValue ?? 0;
      const hi = item.maxValue ?? 10;
      return String(Math.max(lo, Math.min(hi, 4)));
    }
    case "date":
      return new Date().toISOString().slice(0, 10);
    case "string":
    case "text":
      return /phone/i.test(item.text) ? "+1 555 010 0199" : "None";
    default:
      return "";
  }
}

/** Answers one item of the intake questionnaire (and its children); returns what was answered. */
export async function answerItem(scope, item, out = []) {
  if (item.type === "group") {
    for (const child of item.item || []) await answerItem(scope, child, out);
    return out;
  }
  if (item.type === "display" || !item.text) return out;
  const name = named(item.text);
  const group = scope.getByRole("radiogroup", { name }).or(scope.getByRole("group", { name }));
  const field = scope.getByLabel(name);
  const any = group.or(field).first();
  await any.waitFor({ state: "visible", timeout: 5000 }).catch(() => {
    throw new Error(`intake: no control labelled "${item.text}" (${item.type})`);
  });
  const inGroup = (await group.count()) > 0;
  if (item.type === "boolean") {
    if (inGroup) await group.first().getByRole("radio", { name: /^\s*yes\s*$/i }).check();
    else await field.first().check();
    out.push({ linkId: item.linkId, answer: "yes" });
  } else if (item.type === "choice" || item.type === "open-choice") {
    const first = (item.options || [])[0];
    if (!first) throw new Error(`intake: choice item "${item.text}" has no answerOption`);
    if (inGroup) await group.first().getByRole("radio", { name: asRE(first) }).check();
    else await fill(scope, item.text, first, { option: first });
    out.push({ linkId: item.linkId, answer: first });
  } else {
    const v = answerFor(item);
    if (v === "") throw new Error(`intake: item "${item.text}" has a type this test does not answer (${item.type})`);
    await field.first().fill(v);
    out.push({ linkId: item.linkId, answer: v });
  }
  return out;
}
