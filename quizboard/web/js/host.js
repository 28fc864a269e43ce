// The host console: a token kept in this tab, a quiz created from a JSON file, and for a
// live quiz the moves (next, reveal, finish) with the answered count.
import { api } from "/web/js/api.js";
import { clock, countdown } from "/web/js/clock.js";
import { Editor, importSheet } from "/web/js/editor.js";
import { loadLanguage, number, t } from "/web/js/i18n.js";
import { $, fail, fromHash, quizIdFromPath, run } from "/web/js/page.js";
import { joinCode, qrCode } from "/web/js/qr.js";
import { hostToken, keys, session } from "/web/js/session.js";

const quizId = quizIdFromPath();
const POLL_MS = 500;

/** Everything this page knows. */
const page = {
  quiz: null,
  // an app's host link carries the teacher's JWT: /host#jwt=...
  token: fromHash("jwt") || hostToken(quizId),
  shownQuestion: null, // the question the countdown counts for
  stopCountdown: () => {},
  polling: false,
};

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  page.token = $("token").value.trim();
  session.set(quizId ? keys.host(quizId) : keys.anyHost, page.token);
  if (!quizId) session.set(keys.anyHost, page.token);
  fail("");
  run(async () => {
  await loadLanguage();
  await show();
});
});

$("create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  fail("");
  const file = $("quiz-file").files[0];
  if (!file) return;
  if (!/\.json$/i.test(file.name)) {
    try {
      opened(await importSheet(file, page.token));
    } catch (error) {
      fail(error.message);
    }
    return;
  }
  let body;
  try {
    body = JSON.parse(await file.text());
  } catch {
    fail(t("host.not_json"));
    return;
  }
  if (!body.available_at) body.available_at = new Date().toISOString();
  if (!body.ends_at) body.ends_at = new Date(Date.now() + 2 * 3600 * 1000).toISOString();
  try {
    await create(body);
  } catch (error) {
    fail(error.message);
  }
});

/** The quizzes this token may host (a teacher's own, or the admin's all), newest first;
 * nothing for a quiz's own host token. */
async function listQuizzes() {
  let page_;
  try {
    page_ = await api("/quizzes?limit=50", { token: page.token });
  } catch {
    return;
  }
  const list = $("my-quizzes");
  list.replaceChildren(...page_.quizzes.map((quiz) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/host/${quiz.id}`;
    link.textContent = t("host.quiz_item", { title: quiz.title, mode: quiz.mode, n: quiz.questions });
    item.append(link);
    return item;
  }));
  $("quizzes").hidden = page_.quizzes.length === 0;
}

/** Create a quiz (the editor's save, or a JSON file's) and go to its console. */
async function create(body) {
  opened(await api("/quizzes", { method: "POST", body, token: page.token }));
}

function opened(created) {
  session.set(keys.host(created.id), created.host_token);
  location.assign(`/host/${created.id}`);
}

$("export-xlsx").addEventListener("click", async () => {
  fail("");
  const response = await fetch(`/quizzes/${quizId}/export?format=xlsx`, {
    headers: { Authorization: `Bearer ${page.token}` },
  });
  if (!response.ok) {
    fail(t("host.not_exported"));
    return;
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `quiz-${quizId}.xlsx`;
  link.click();
  URL.revokeObjectURL(link.href);
});

$("edit").addEventListener("click", async () => {
  fail("");
  try {
    const body = await api(`/quizzes/${quizId}/export`, { token: page.token });
    $("edit-section").hidden = false;
    new Editor($("edit-editor"), body, page.token, async (changed) => {
      await api(`/quizzes/${quizId}`, { method: "PATCH", body: changed, token: page.token });
      location.reload();
    });
    $("edit-section").scrollIntoView();
  } catch (error) {
    fail(error.message);
  }
});

for (const move of ["next", "reveal", "finish"]) {
  $(move).addEventListener("click", async () => {
    fail("");
    $(move).disabled = true;
    try {
      render(await api(`/quizzes/${quizId}/${move}`, { method: "POST", token: page.token }));
      poll(); // a finished quiz stopped the poll; a move may start it again
    } catch (error) {
      fail(error.code === "no_more_questions"
        ? t("host.last_question")
        : error.message);
    } finally {
      $(move).disabled = false;
    }
  });
}

async function show() {
  $("token-card").hidden = Boolean(page.token);
  if (fromHash("jwt")) session.set(quizId ? keys.host(quizId) : keys.anyHost, page.token);
  if (!quizId) {
    $("create").hidden = !page.token;
    if (page.token && !page.editor) page.editor = new Editor($("editor"), null, page.token, create);
    if (page.token) listQuizzes();
    return;
  }
  if (!page.token) return;
  page.quiz = page.quiz || (await api(`/quizzes/${quizId}`));
  $("title").textContent = page.quiz.title;
  $("console").hidden = false;
  $("play-link").href = `/play/${quizId}`;
  $("play-link").textContent = `${location.origin}/play/${quizId}`;
  $("join-code").textContent = joinCode(quizId);
  const link = `${location.origin}/play/${quizId}`;
  $("join-qr").replaceChildren(qrCode(link, t("board.qr_label", { link })));
  $("board-link").href = `/board/${quizId}#token=${encodeURIComponent(page.token)}`;
  const live = page.quiz.mode === "live";
  $("controls").hidden = !live;
  $("open-note").hidden = live;
  $("room").hidden = false;
  watchRoom();
  if (live) poll();
}

// ---- the room: its players, kick and ban, and the lobby's lock ----

/** Follow the room (its players come and go) once a second while the page is open. */
async function watchRoom() {
  for (;;) {
    try {
      showRoom(await api(`/quizzes/${quizId}/players`, { token: page.token }));
    } catch (error) {
      fail(error.message);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function roomMove(path, body) {
  fail("");
  try {
    showRoom(await api(`/quizzes/${quizId}/${path}`, { method: "POST", token: page.token, body }));
  } catch (error) {
    fail(error.message);
  }
}

$("lock").addEventListener("click", () => roomMove(page.locked ? "unlock" : "lock"));

function showRoom(room) {
  page.locked = room.locked;
  $("lock").textContent = t(room.locked ? "host.unlock" : "host.lock");
  $("lock-state").textContent = t(room.locked ? "host.locked" : "host.unlocked");
  const shown = room.players.filter((p) => !p.removed).length;
  $("room-count").textContent = room.total_players > shown
    ? t("host.count_some", { total: room.total_players, shown })
    : t("host.count", { total: room.total_players });
  const list = $("players-list");
  const focused = document.activeElement && document.activeElement.dataset.move;
  list.replaceChildren(...room.players.map((player) => playerRow(player)));
  if (focused) list.querySelector(`[data-move="${focused}"]`)?.focus();
}

function playerRow(player) {
  const row = document.createElement("li");
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = player.display_name || player.player_id;
  if (player.team) {
    const team = document.createElement("span");
    team.className = "team";
    team.textContent = player.team;
    name.append(team);
  }
  const score = document.createElement("span");
  score.className = "score";
  score.textContent = number(player.score);
  row.append(name, score);
  if (player.removed) {
    row.classList.add("removed");
    const note = document.createElement("span");
    note.className = "muted";
    note.textContent = t(player.removed === "ban" ? "host.banned" : "host.kicked");
    row.append(note);
    return row;
  }
  const who = player.display_name || player.player_id;
  const moves = document.createElement("div");
  moves.className = "moves";
  row.append(moves);
  for (const [move, label] of [["name", "rename"], ["kick", "kick"], ["ban", "ban"]]) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small";
    button.textContent = t(`host.${label}`);
    button.dataset.move = `${move}:${player.player_id}`;
    button.setAttribute("aria-label", t(`host.${label}_who`, { who }));
    button.addEventListener("click", () => {
      const path = `players/${encodeURIComponent(player.player_id)}/${move}`;
      if (move === "name") {
        const name = prompt(t("host.new_name", { who }), who);
        if (name && name.trim() !== who) roomMove(path, { display_name: name });
        return;
      }
      if (move === "ban" && !confirm(t("host.ban_confirm", { who }))) return;
      roomMove(path);
    });
    moves.append(button);
  }
  return row;
}

/** Follow a live quiz's state (the answered count moves with every answer) until it has
 * finished: then there is no more to learn. One poll runs at a time. */
async function poll() {
  if (page.polling) return;
  page.polling = true;
  try {
    for (;;) {
      let state;
      try {
        state = await api(`/quizzes/${quizId}/state`);
      } catch (error) {
        fail(error.message);
      }
      if (state) render(state);
      if (state && state.phase === "finished") return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    page.polling = false;
  }
}

function render(state) {
  clock.learn(state.server_time);
  $("phase").textContent = t(`host.phase.${state.phase}`);
  $("players").textContent = t("play.players", { n: state.total_players });
  const question = state.question;
  $("question-position").textContent =
    question ? t("play.question_of", { n: question.position, total: page.quiz.question_count }) : "";
  $("question-prompt").textContent = question ? question.prompt : "";
  $("answered").textContent = question && state.answered !== null
    ? t("host.answered", { answered: state.answered, total: state.total_players }) : "";
  const open = state.phase === "question";
  $("timer").hidden = !open;
  const key = open ? `${question.id}` : null;
  if (key !== page.shownQuestion) {
    page.stopCountdown();
    page.shownQuestion = key;
    if (open) page.stopCountdown = countdown($("countdown"), state.closes_at);
  }
  $("reveal").disabled = !open;
  $("next").disabled = state.phase === "finished";
  $("finish").disabled = state.phase === "finished";
}

run(async () => {
  await loadLanguage();
  await show();
});
