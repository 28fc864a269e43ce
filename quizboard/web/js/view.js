// What the pages draw: the board, a question's results, the connection badge.

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
    name.textContent = entry.display_name + (entry.player_id === me ? " (you)" : "");
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = String(entry.score);
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
  const parts = [picture(question.image, "The question's picture"), soundButton(question.audio, "Hear it")];
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
  return [["Right", results.distribution.correct, true], ["Wrong", results.distribution.wrong, false]];
}

/** A question's results: its right answer in ``answerEl``, its distribution in ``list``. */
export function renderResults(answerEl, list, question, results) {
  const right = rightAnswer(question, results);
  answerEl.textContent = right === null ? "A poll: no right answer" : `Right answer: ${right}`;
  list.replaceChildren();
  for (const [label, count, right] of distributionRows(question, results)) {
    const item = document.createElement("li");
    if (right) item.classList.add("answer");
    const name = document.createElement("span");
    name.textContent = right ? `${label} ✓` : label;
    const n = document.createElement("span");
    n.textContent = String(count);
    item.append(name, n);
    list.append(item);
  }
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
    members.textContent = entry.members === 1 ? "1 player" : `${entry.members} players`;
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
  return board.ranked_by === "mean" ? `${entry.score} avg` : String(entry.total);
}
