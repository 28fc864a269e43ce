// What the pages draw: the board, a question's results, the connection badge.
import { number, t } from "/web/js/i18n.js";

/** Render entries into the <ol> list, animating rows that moved (FLIP). ``me`` is the
 * player's id to highlight; ``pinned`` rows go under the list, after a gap (the player
 * and its neighbours, when outside the top). */
export function renderBoard(list, entries, me, pinned = []) {
  const before = new Map();
  for (const row of list.children) before.set(row.dataset.player, row.getBoundingClientRect().top);
  list.replaceChildren();
  const shown = new Set(entries.map((e) => e.player_id));
  const below = pinned.filter((e) => !shown.has(e.player_id));
  const rows = [...entries, ...below.map((e, i) => ({ ...e, pinned: i === 0 }))];
  for (const entry of rows) {
    const row = document.createElement("li");
    row.dataset.player = entry.player_id;
    if (entry.player_id === me) row.classList.add("me");
    if (entry.pinned) row.classList.add("pinned");
    const rank = document.createElement("span");
    rank.className = "rank";
    rank.textContent = `${entry.rank}.`;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = entry.display_name + (entry.player_id === me ? t("view.you") : "");
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = number(entry.score);
    row.append(rank, name, score);
    list.append(row);
  }
  for (const row of list.children) {
    const was = before.get(row.dataset.player);
    if (was === undefined) continue;
    const moved = was - row.getBoundingClientRect().top;
    if (!moved) continue;
    row.style.transition = "none";
    row.style.transform = `translateY(${moved}px)`;
    requestAnimationFrame(() => {
      row.style.transition = "";
      row.style.transform = "";
    });
  }
}

/** A picture (an <img>, described by ``alt``) or null, for an uploaded file's id. */
export function picture(mediaId, alt = "") {
  if (!mediaId) return null;
  const img = document.createElement("img");
  img.src = `/media/${mediaId}`;
  img.alt = alt;
  img.className = "picture";
  img.loading = "lazy";
  return img;
}

/** A button that plays an uploaded sound when pressed (never by itself), or null. */
export function soundButton(mediaId, label) {
  if (!mediaId) return null;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary sound";
  button.textContent = `▶ ${label}`;
  const audio = new Audio(`/media/${mediaId}`);
  audio.preload = "none";
  button.addEventListener("click", () => { audio.currentTime = 0; audio.play().catch(() => {}); });
  return button;
}

/** Show a question's picture and sound button in ``el`` (emptied first). */
export function renderQuestionMedia(el, question) {
  const parts = [picture(question.image, t("view.picture")), soundButton(question.audio, t("view.hear"))];
  el.replaceChildren(...parts.filter(Boolean));
  el.hidden = !el.children.length;
}

/** A question's right answer as text, as its kind has it. */
export function rightAnswer(question, results) {
  if (question.kind === "poll") return null;
  if (results.answers) return results.answers.map((i) => question.choices[i]).join(", ");
  if (results.items) return results.items.join(" → ");
  if (results.pairs) return results.pairs.map((p) => `${p.left} = ${p.right}`).join("; ");
  if (typeof results.answer === "number") return question.choices[results.answer];
  return results.answer.join(", ");
}

/** The distribution of a question's answers as list items: [label, count, right?]. */
export function distributionRows(question, results) {
  const counts = results.distribution;
  if (results.items) return results.items.map((item, k) => [`${k + 1}. ${item}`, counts[k], false]);
  if (results.pairs) return results.pairs.map((p, i) => [`${p.left} = ${p.right}`, counts[i], false]);
  if (Array.isArray(counts)) {
    const right = (i) => (results.answers ? results.answers.includes(i) : i === results.answer);
    return question.choices.map((choice, i) => [choice, counts[i], question.kind !== "poll" && right(i)]);
  }
  return [[t("view.right"), results.distribution.correct, true], [t("view.wrong"), results.distribution.wrong, false]];
}

/** A question's results: its right answer in ``answerEl``, its distribution in ``list``. */
export function renderResults(answerEl, list, question, results) {
  const right = rightAnswer(question, results);
  answerEl.textContent = right === null ? t("view.poll") : t("view.right_answer", { answer: right });
  list.replaceChildren();
  const choices = Array.isArray(results.distribution) && !results.items && !results.pairs;
  distributionRows(question, results).forEach(([label, count, right], index) => {
    const item = document.createElement("li");
    if (right) item.classList.add("answer");
    const name = document.createElement("span");
    name.textContent = right ? `${label} ✓` : label;
    if (choices) name.prepend(shape(index));
    const n = document.createElement("span");
    n.textContent = number(count);
    item.append(name, n);
    list.append(item);
  });
}

/** A team board's entries into the <ol> list: rank, name and members, and the score
 * the quiz ranks by (the members' mean, or their total). ``mine`` is the player's
 * team's index, to highlight. */
export function renderTeams(list, board, mine = null) {
  list.replaceChildren();
  for (const entry of board.entries) {
    const row = document.createElement("li");
    row.dataset.team = String(entry.team);
    if (entry.team === mine) row.classList.add("me");
    const rank = document.createElement("span");
    rank.className = "rank";
    rank.textContent = `${entry.rank}.`;
    const name = document.createElement("span");
    name.className = "name";
    const members = document.createElement("span");
    members.className = "members";
    members.textContent = entry.members === 1 ? t("view.one_player") : t("view.players", { n: entry.members });
    name.append(entry.name, members);
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = teamScore(board, entry);
    row.append(rank, name, score);
    list.append(row);
  }
}

/** A team's score as its board ranks it: "12.5 avg" or "250". */
export function teamScore(board, entry) {
  return board.ranked_by === "mean" ? t("view.avg", { score: entry.score }) : number(entry.total);
}

/** The shapes a question's choices carry, each with a colour of its own: a choice is
 * known by its shape as well as its colour (for players who do not tell colours apart). */
export const SHAPES = ["▲", "◆", "●", "■", "★", "⬟"];

/** A choice's shape, for its index: a span the screen readers skip. */
export function shape(index) {
  const mark = document.createElement("span");
  mark.className = `shape shape-${index % SHAPES.length}`;
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = SHAPES[index % SHAPES.length];
  return mark;
}
