// The quiz editor of the host console: a quiz's title, times, mode and questions of every
// kind, each with its choices, points, timer, explanation, picture and sound. It builds
// the body POST /quizzes (or PATCH) takes, and shows the API's 422 next to the field it
// names. Its text is in the page's language (web/i18n).
import { t } from "/web/js/i18n.js";

const KINDS = ["choice", "true_false", "multi", "text", "order", "match", "poll"];
let serial = 0; // ids for labels, unique on the page

/** A labelled control: ``<label for>`` and the control, and a line for its error. */
function field(labelText, control, name) {
  const id = `f${(serial += 1)}`;
  control.id = id;
  if (name) control.dataset.field = name;
  const wrap = document.createElement("div");
  wrap.className = "field";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = labelText;
  const error = document.createElement("p");
  error.className = "field-error";
  error.id = `${id}-error`;
  wrap.append(label, control, error);
  return wrap;
}

function input(type, value = "", attrs = {}) {
  const el = document.createElement("input");
  el.type = type;
  if (type === "checkbox") el.checked = Boolean(value);
  else el.value = value ?? "";
  Object.assign(el, attrs);
  return el;
}

function textarea(value = "", rows = 2) {
  const el = document.createElement("textarea");
  el.rows = rows;
  el.value = value ?? "";
  return el;
}

function button(text, onClick, className = "secondary") {
  const el = document.createElement("button");
  el.type = "button";
  el.className = className;
  el.textContent = text;
  el.addEventListener("click", onClick);
  return el;
}

function checkbox(labelText, checked, name) {
  const label = document.createElement("label");
  label.className = "check";
  const box = input("checkbox", checked);
  box.dataset.field = name;
  label.append(box, ` ${labelText}`);
  return label;
}

/** A picture or sound picker: uploads the file (POST /media) and keeps its id. */
function mediaPicker(labelText, accept, id, token, name) {
  const picker = input("file", "", { accept });
  const wrap = field(labelText, picker, name);
  wrap.dataset.media = id || "";
  const note = document.createElement("span");
  note.className = "muted";
  note.textContent = id ? t("editor.uploaded") : "";
  const clear = button(t("editor.remove"), () => { wrap.dataset.media = ""; note.textContent = ""; picker.value = ""; });
  wrap.append(note, clear);
  picker.addEventListener("change", async () => {
    const file = picker.files[0];
    if (!file) return;
    note.textContent = t("editor.uploading");
    try {
      const uploaded = await upload(file, token);
      wrap.dataset.media = uploaded.id;
      note.textContent = t("editor.uploaded_type", { type: uploaded.content_type });
      showError(wrap, "");
    } catch (error) {
      note.textContent = "";
      showError(wrap, error.message);
    }
  });
  return wrap;
}

async function upload(file, token) {
  const response = await fetch("/media", {
    method: "POST", body: file, headers: { Authorization: `Bearer ${token}` },
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(data && data.error ? data.error.message : response.statusText);
  return data;
}

function showError(wrap, message) {
  const error = wrap.querySelector(":scope > .field-error");
  const control = wrap.querySelector("input, select, textarea");
  error.textContent = message;
  if (message) {
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", error.id);
  } else {
    control.removeAttribute("aria-invalid");
    control.removeAttribute("aria-describedby");
  }
}

/** One question's fieldset, built for its kind from ``q`` (a question as POST takes). */
function questionBlock(q, editor) {
  const set = document.createElement("fieldset");
  set.className = "question card";
  const legend = document.createElement("legend");
  set.append(legend);
  const kind = document.createElement("select");
  for (const value of KINDS) kind.append(new Option(t(`editor.kind.${value}`), value));
  kind.value = q.kind || "choice";
  const prompt = textarea(q.prompt);
  prompt.required = true;
  const points = input("number", q.points ?? "", { min: 0, max: 1000000, placeholder: t("editor.points_placeholder") });
  const limit = input("number", q.time_limit_s ?? "", { min: 5, max: 300, placeholder: "20" });
  const noTimer = checkbox(t("editor.no_timer"), q.time_limit_s === null, "no_timer");
  const explanation = textarea(q.explanation);
  set.append(field(t("editor.kind"), kind, "kind"), field(t("editor.question"), prompt, "prompt"),
    field(t("editor.points"), points, "points"));
  const timing = field(t("editor.time_limit"), limit, "time_limit_s");
  timing.append(noTimer);
  set.append(timing, field(t("editor.explanation"), explanation, "explanation"));
  set.append(mediaPicker(t("editor.picture"), "image/*", q.image, editor.token, "image"),
    mediaPicker(t("editor.sound"), "audio/*", q.audio, editor.token, "audio"));
  const body = document.createElement("div");
  body.className = "kind-body";
  set.append(body);
  const rebuild = () => {
    body.replaceChildren(...kindFields(kind.value, q));
  };
  kind.addEventListener("change", () => {
    q = readQuestion(set); // what carries over: the prompt, choices, points, media…
    rebuild();
  });
  rebuild();
  const tools = document.createElement("div");
  tools.className = "row";
  tools.append(
    button(t("editor.move_up"), () => { if (set.previousElementSibling) set.after(set.previousElementSibling); editor.number(); }),
    button(t("editor.move_down"), () => { if (set.nextElementSibling) set.before(set.nextElementSibling); editor.number(); }),
    button(t("editor.remove_question"), () => { set.remove(); editor.number(); }),
  );
  set.append(tools);
  return set;
}

/** The fields only ``kind`` has, filled from ``q`` where it has them. */
function kindFields(kind, q) {
  if (["choice", "multi", "poll"].includes(kind)) return [choiceList(kind, q)];
  if (kind === "true_false") {
    const select = document.createElement("select");
    select.append(new Option(t("editor.true"), "true"), new Option(t("editor.false"), "false"));
    select.value = q.answer === false ? "false" : "true";
    return [field(t("editor.statement"), select, "answer")];
  }
  if (kind === "text") {
    const accepted = textarea((q.accepted || []).join("\n"), 3);
    return [field(t("editor.accepted"), accepted, "accepted"),
      checkbox(t("editor.ignore_case"), q.ignore_case ?? true, "ignore_case"),
      checkbox(t("editor.ignore_accents"), q.ignore_accents, "ignore_accents"),
      checkbox(t("editor.ignore_punctuation"), q.ignore_punctuation, "ignore_punctuation")];
  }
  if (kind === "order") {
    const items = textarea((q.items || []).join("\n"), 4);
    return [field(t("editor.items"), items, "items"),
      checkbox(t("editor.partial_order"), q.partial, "partial")];
  }
  const pairs = textarea((q.pairs || []).map((p) => `${p.left} = ${p.right}`).join("\n"), 4);
  return [field(t("editor.pairs"), pairs, "pairs")];
}

function choiceList(kind, q) {
  const wrap = document.createElement("div");
  wrap.className = "choice-list";
  wrap.dataset.field = "choices";
  const list = document.createElement("ol");
  const error = document.createElement("p");
  error.className = "field-error";
  const right = new Set(kind === "multi" ? q.answers || [] : q.answer !== undefined ? [q.answer] : []);
  const group = `right${(serial += 1)}`;
  const addRow = (choice = "", isRight = false) => {
    const row = document.createElement("li");
    const text = input("text", typeof choice === "string" ? choice : choice.text, { required: true });
    text.setAttribute("aria-label", t("editor.choice"));
    row.append(text);
    if (kind !== "poll") {
      const mark = input(kind === "multi" ? "checkbox" : "radio", isRight, { name: group });
      mark.className = "right-mark";
      mark.setAttribute("aria-label", t("editor.right_answer"));
      const label = document.createElement("label");
      label.className = "check";
      label.append(mark, ` ${t("editor.right")}`);
      row.append(label);
    }
    row.append(button(t("editor.remove"), () => row.remove()));
    list.append(row);
  };
  const choices = q.choices && q.choices.length ? q.choices : ["", ""];
  choices.forEach((choice, i) => addRow(choice, right.has(i)));
  const heading = document.createElement("p");
  heading.className = "label";
  heading.textContent = t(kind === "poll" ? "editor.choices" : "editor.choices_tick");
  wrap.append(heading, list, error, button(t("editor.add_choice"), () => addRow()));
  if (kind === "multi") wrap.append(checkbox(t("editor.partial_multi"), q.partial, "partial"));
  return wrap;
}

function lines(text) {
  return text.split("\n").map((s) => s.trim()).filter(Boolean);
}

/** What one question's fieldset says, as POST /quizzes takes it. */
function readQuestion(set) {
  const value = (name) => {
    const el = set.querySelector(`:scope [data-field="${name}"]`);
    if (!el) return ""; // a field of another kind: the kind has just changed
    return el.type === "checkbox" ? el.checked : el.value;
  };
  const kind = value("kind");
  const q = { kind, prompt: value("prompt").trim() };
  const points = value("points");
  if (points !== "") q.points = Number(points);
  if (value("no_timer")) q.time_limit_s = null;
  else if (value("time_limit_s") !== "") q.time_limit_s = Number(value("time_limit_s"));
  const explanation = value("explanation").trim();
  if (explanation) q.explanation = explanation;
  for (const name of ["image", "audio"]) {
    const media = set.querySelector(`:scope > .field [data-field="${name}"]`).closest(".field").dataset.media;
    if (media) q[name] = media;
  }
  const rows = [...set.querySelectorAll(".choice-list li")];
  if (["choice", "multi", "poll"].includes(kind)) {
    q.choices = rows.map((row) => row.querySelector("input[type=text]").value.trim());
    const marked = rows.map((row, i) => (row.querySelector(".right-mark")?.checked ? i : -1)).filter((i) => i >= 0);
    if (kind === "choice") q.answer = marked.length ? marked[0] : -1;
    if (kind === "multi") { q.answers = marked; q.partial = value("partial"); }
  }
  if (kind === "true_false") q.answer = value("answer") === "true";
  if (kind === "text") {
    q.accepted = lines(value("accepted"));
    for (const name of ["ignore_case", "ignore_accents", "ignore_punctuation"]) q[name] = value(name);
  }
  if (kind === "order") { q.items = lines(value("items")); q.partial = value("partial"); }
  if (kind === "match") {
    q.pairs = lines(value("pairs")).map((line) => {
      const [left, ...rest] = line.split("=");
      return { left: left.trim(), right: rest.join("=").trim() };
    });
  }
  return q;
}

/** A datetime-local value for ``iso`` in this browser's time zone. */
function localValue(iso) {
  const at = new Date(iso);
  return new Date(at.getTime() - at.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

export class Editor {
  /** An editor in ``root`` for ``quiz`` (a body as POST /quizzes takes, or null for a
   * new one); ``save(body)`` sends it and returns what the API answered. */
  constructor(root, quiz, token, save) {
    this.root = root;
    this.token = token;
    this.save = save;
    const now = Date.now();
    quiz = quiz || {
      title: "", mode: "live", wrong_answer_penalty: 0, questions: [{ kind: "choice" }],
      available_at: new Date(now).toISOString(), ends_at: new Date(now + 2 * 3600e3).toISOString(),
    };
    this.title = input("text", quiz.title, { required: true, maxLength: 200 });
    this.mode = document.createElement("select");
    this.mode.append(new Option(t("editor.mode_live"), "live"),
      new Option(t("editor.mode_open"), "open"));
    this.mode.value = quiz.mode;
    this.opens = input("datetime-local", localValue(quiz.available_at));
    this.ends = input("datetime-local", localValue(quiz.ends_at));
    this.penalty = input("number", quiz.wrong_answer_penalty || 0, { min: 0, max: 1000000 });
    this.names = document.createElement("select");
    this.names.append(new Option(t("editor.names_chosen"), "chosen"),
      new Option(t("editor.names_generated"), "generated"));
    this.names.value = quiz.names || "chosen";
    this.language = document.createElement("select");
    this.language.append(new Option("English", "en"), new Option("Tiếng Việt", "vi"));
    this.language.value = quiz.language || "en";
    this.lateJoin = checkbox(t("editor.late_join"),
      quiz.late_join ?? true, "late_join");
    this.boardBetween = checkbox(t("editor.board_between"),
      quiz.board_between_questions ?? false, "board_between_questions");
    this.teams = textarea((quiz.teams || []).join("\n"), 3);
    this.teamScore = document.createElement("select");
    this.teamScore.append(new Option(t("editor.team_mean"), "mean"),
      new Option(t("editor.team_total"), "total"));
    this.teamScore.value = quiz.team_score || "mean";
    this.questions = document.createElement("div");
    const form = document.createElement("form");
    form.noValidate = true; // the API's messages, next to their fields, say what is wrong
    form.append(field(t("editor.title"), this.title, "title"), field(t("editor.mode"), this.mode, "mode"),
      field(t("editor.opens"), this.opens, "available_at"), field(t("editor.ends"), this.ends, "ends_at"),
      field(t("editor.penalty"), this.penalty, "wrong_answer_penalty"),
      field(t("editor.names"), this.names, "names"), field(t("editor.names_language"), this.language, "language"),
      this.lateJoin,
      this.boardBetween,
      field(t("editor.teams"), this.teams, "teams"),
      field(t("editor.rank_teams"), this.teamScore, "team_score"),
      this.questions,
      button(t("editor.add_question"), () => { this.questions.append(questionBlock({ kind: "choice" }, this)); this.number(); }),
      this.summary = document.createElement("p"));
    this.summary.className = "error";
    this.summary.setAttribute("role", "alert");
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.textContent = t("editor.save");
    form.append(submit);
    form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(); });
    for (const q of quiz.questions) this.questions.append(questionBlock(q, this));
    this.number();
    root.replaceChildren(form);
  }

  /** Number the questions' legends after a move. */
  number() {
    [...this.questions.children].forEach((set, i) => {
      set.querySelector("legend").textContent = t("editor.question_n", { n: i + 1 });
    });
  }

  body() {
    return {
      title: this.title.value.trim(),
      mode: this.mode.value,
      available_at: new Date(this.opens.value).toISOString(),
      ends_at: new Date(this.ends.value).toISOString(),
      wrong_answer_penalty: Number(this.penalty.value || 0),
      names: this.names.value,
      language: this.language.value,
      late_join: this.lateJoin.querySelector("input").checked,
      board_between_questions: this.boardBetween.querySelector("input").checked,
      teams: lines(this.teams.value),
      team_score: this.teamScore.value,
      questions: [...this.questions.children].map(readQuestion),
    };
  }

  async submit() {
    for (const wrap of this.root.querySelectorAll(".field")) showError(wrap, "");
    for (const error of this.root.querySelectorAll(".choice-list > .field-error")) error.textContent = "";
    this.summary.textContent = "";
    let body;
    try {
      body = this.body();
    } catch {
      this.summary.textContent = t("editor.fill_times");
      return;
    }
    try {
      await this.save(body);
    } catch (error) {
      this.place(error.message);
    }
  }

  /** Show the API's message next to the field it names (in a teacher's words where
   * the API speaks of types); the summary says it too. */
  place(apiMessage) {
    const message = friendly(apiMessage);
    this.summary.textContent = message;
    const at = message.match(/at `\$\.([a-z_]+)(?:\[(\d+)\]\.([a-z_]+))?/);
    const said = message.match(/^question (\d+): ([a-z_]+)?/);
    let set = null;
    let name = null;
    if (at && at[1] === "questions") { set = this.questions.children[Number(at[2])]; name = at[3]; }
    else if (at) name = at[1];
    else if (said) { set = this.questions.children[Number(said[1]) - 1]; name = said[2]; }
    else if (/ends_at/.test(message)) name = "ends_at";
    const scope = set || this.root;
    const names = { answer: "choices", answers: "choices", accepted: "accepted" };
    const target = name && (scope.querySelector(`[data-field="${name}"]`) || scope.querySelector(`[data-field="${names[name]}"]`));
    if (target && target.closest(".field")) showError(target.closest(".field"), message);
    else if (target && target.querySelector(".field-error")) target.querySelector(".field-error").textContent = message;
    else if (set) set.querySelector(".field-error").textContent = message;
    (target || set || this.summary).scrollIntoView?.({ block: "center" });
  }
}

/** What the decoder's messages mean to someone writing a quiz. */
const FRIENDLY = ["answers", "answer", "prompt", "choices", "items", "pairs", "accepted", "title"];

function friendly(message) {
  const at = message.match(/^(Expected .*?) - at `\$\.(?:questions\[(\d+)\]\.)?([a-z_]+)/);
  if (!at || !FRIENDLY.includes(at[3])) return message;
  const where = at[2] === undefined ? "" : `${t("editor.question_n", { n: Number(at[2]) + 1 })}: `;
  return `${where}${t(`editor.friendly.${at[3]}`)} (${message})`;
}

/** Create a quiz from a spreadsheet file (POST /quizzes/import); the created quiz. */
export async function importSheet(file, token, title) {
  const response = await fetch(`/quizzes/import?title=${encodeURIComponent(title || file.name.replace(/\.[^.]+$/, ""))}`, {
    method: "POST", body: file, headers: { Authorization: `Bearer ${token}` },
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(data && data.error ? data.error.message : response.statusText);
  return data;
}

