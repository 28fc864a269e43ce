// The answer forms of the kinds that take more than one click: a multi's checkboxes, an
// order's list to rearrange, a match's pickers. Each is a plain <form> of native
// controls, so a keyboard and a screen reader work it as they work any form.
import { t } from "/web/js/i18n.js";
import { picture } from "/web/js/view.js";

/** The form for ``question`` (a multi, order or match); ``onAnswer`` gets the answer the
 * API takes: the indexes picked, the items' indexes in the player's order, or for each
 * left side the index of the right side chosen. */
export function answerForm(question, onAnswer) {
  const form = document.createElement("form");
  form.className = "answer-form";
  const build = { multi: multiForm, order: orderForm, match: matchForm }[question.kind];
  const read = build(form, question);
  const note = document.createElement("p");
  note.className = "error";
  note.setAttribute("role", "alert");
  const send = document.createElement("button");
  send.type = "submit";
  send.textContent = t("forms.submit");
  form.append(note, send);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { answer, problem } = read();
    note.textContent = problem || "";
    if (!problem) onAnswer(answer);
  });
  return form;
}

function multiForm(form, question) {
  const set = document.createElement("fieldset");
  const legend = document.createElement("legend");
  legend.textContent = t("forms.pick_every");
  set.append(legend);
  const boxes = question.choices.map((choice, index) => {
    const label = document.createElement("label");
    label.className = "pick";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = String(index);
    const image = picture(((question.choice_media || [])[index] || {}).image);
    label.append(box, ...(image ? [image] : []), ` ${choice}`);
    set.append(label);
    return box;
  });
  form.append(set);
  return () => {
    const answer = boxes.filter((b) => b.checked).map((b) => Number(b.value));
    return { answer, problem: answer.length ? null : t("forms.pick_one") };
  };
}

function orderForm(form, question) {
  const help = document.createElement("p");
  help.className = "muted";
  help.id = `order-help-${question.id}`;
  help.textContent = t("forms.order_help");
  const list = document.createElement("ol");
  list.className = "order";
  list.setAttribute("aria-describedby", help.id);
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("aria-live", "polite");
  const move = (row, step) => {
    const rows = [...list.children];
    const to = rows.indexOf(row) + step;
    if (to < 0 || to >= rows.length) return;
    if (step < 0) list.insertBefore(row, rows[to]);
    else list.insertBefore(row, rows[to].nextSibling);
    status.textContent = t("forms.now_at", { item: row.dataset.text, n: to + 1, total: rows.length });
  };
  question.items.forEach((text, index) => {
    const row = document.createElement("li");
    row.dataset.index = String(index);
    row.dataset.text = text;
    row.tabIndex = 0;
    const word = document.createElement("span");
    word.textContent = text;
    row.append(word);
    for (const [step, label, sign] of [[-1, "forms.move_up", "↑"], [1, "forms.move_down", "↓"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary small";
      button.textContent = sign;
      button.setAttribute("aria-label", t(label, { item: text }));
      button.addEventListener("click", () => { move(row, step); button.focus(); });
      row.append(button);
    }
    row.addEventListener("keydown", (event) => {
      if (event.target !== row) return;
      const step = { ArrowUp: -1, ArrowDown: 1 }[event.key];
      if (step === undefined) return;
      event.preventDefault();
      move(row, step);
      row.focus();
    });
    list.append(row);
  });
  form.append(help, list, status);
  return () => ({ answer: [...list.children].map((row) => Number(row.dataset.index)), problem: null });
}

function matchForm(form, question) {
  const pickers = question.left.map((left, index) => {
    const label = document.createElement("label");
    label.className = "pair";
    const id = `match-${question.id}-${index}`;
    label.htmlFor = id;
    label.textContent = left;
    const select = document.createElement("select");
    select.id = id;
    select.append(new Option(t("forms.choose"), ""));
    question.right.forEach((right, k) => select.append(new Option(right, String(k))));
    form.append(label, select);
    return select;
  });
  return () => {
    const values = pickers.map((p) => p.value);
    if (values.includes("")) return { answer: null, problem: t("forms.match_every") };
    if (new Set(values).size !== values.length) {
      return { answer: null, problem: t("forms.each_once") };
    }
    return { answer: values.map(Number), problem: null };
  };
}
