// The pages' language: English or Vietnamese. The strings live in one catalogue per
// language (web/i18n/<lang>.json), none in the scripts. The language is the one the
// player chose with the switch in the header bar, or else the browser's first that
// we speak, or else English. Numbers and times are formatted for it.

export const LANGUAGES = { en: "English", vi: "Tiếng Việt" };
const CHOSEN = "qb:lang"; // the switch's choice, kept on this device

let catalogue = {};
export let lang = "en";

/** The language to show: the one chosen here, else the browser's, else English. */
export function pickLanguage(chosen, preferred) {
  if (chosen in LANGUAGES) return chosen;
  const spoken = preferred.map((tag) => tag.toLowerCase().split("-")[0]);
  return spoken.find((code) => code in LANGUAGES) || "en";
}

/** Load this page's language and translate its static text; then the switch. */
export async function loadLanguage() {
  let chosen = null;
  try { chosen = localStorage.getItem(CHOSEN); } catch { /* storage refused */ }
  lang = pickLanguage(chosen, navigator.languages || [navigator.language || "en"]);
  const response = await fetch(`/web/i18n/${lang}.json`);
  catalogue = await response.json();
  document.documentElement.lang = lang;
  translate(document);
  languageSwitch();
}

/** The text of ``key`` in this page's language, with ``{name}`` filled from ``params``
 * (numbers formatted for the language). A key with no text shows as itself. */
export function t(key, params = {}) {
  const text = catalogue[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => show(params[name]));
}

/** Whether the catalogue has a text for ``key``. */
export function has(key) {
  return key in catalogue;
}

/** A number as this language writes it. */
export function number(value) {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(value);
}

function show(value) {
  if (typeof value === "number") return number(value);
  return value === undefined || value === null ? "" : String(value);
}

/** Translate the static text under ``root``: ``data-i18n`` names an element's text,
 * ``data-i18n-<attribute>`` (label, placeholder, title, content) an attribute's. */
export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const attribute of ["aria-label", "placeholder", "title"]) {
    for (const el of root.querySelectorAll(`[data-i18n-${attribute}]`)) {
      el.setAttribute(attribute, t(el.getAttribute(`data-i18n-${attribute}`)));
    }
  }
  const title = document.querySelector("title[data-i18n-page]");
  if (title) document.title = t(title.dataset.i18nPage);
}

/** The header bar's language switch: a choice is kept, and the page loads again in it. */
function languageSwitch() {
  const select = document.getElementById("language");
  if (!select || select.options.length) return;
  for (const [code, name] of Object.entries(LANGUAGES)) {
    const option = new Option(name, code, false, code === lang);
    option.lang = code;
    select.append(option);
  }
  select.hidden = false;
  select.addEventListener("change", () => {
    try { localStorage.setItem(CHOSEN, select.value); } catch { /* storage refused */ }
    location.reload();
  });
}
