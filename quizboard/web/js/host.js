// The host console: a token kept in this tab, a quiz created from a JSON file, and for a
// live quiz the moves (next, reveal, finish) with the answered count.
import { api, clock, countdown, quizIdFromPath, session } from "/web/js/common.js";

const $ = (id) => document.getElementById(id);
const quizId = quizIdFromPath();
let token = (quizId && session.get(`qb:host:${quizId}`)) || session.get("qb:host-token");
let quiz = null;
let shownQuestion = null;
let stopCountdown = () => {};

function fail(message) { $("error").textContent = message; }

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token").value.trim();
  session.set(quizId ? `qb:host:${quizId}` : "qb:host-token", token);
  if (!quizId) session.set("qb:host-token", token);
  fail("");
  show();
});

$("create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  fail("");
  const file = $("quiz-file").files[0];
  if (!file) return;
  let body;
  try {
    body = JSON.parse(await file.text());
  } catch {
    fail("That file is not JSON.");
    return;
  }
  if (!body.available_at) body.available_at = new Date().toISOString();
  if (!body.ends_at) body.ends_at = new Date(Date.now() + 2 * 3600 * 1000).toISOString();
  try {
    const created = await api("/quizzes", { method: "POST", body, token });
    session.set(`qb:host:${created.id}`, created.host_token);
    location.assign(`/host/${created.id}`);
  } catch (error) {
    fail(error.message);
  }
});

for (const move of ["next", "reveal", "finish"]) {
  $(move).addEventListener("click", async () => {
    fail("");
    $(move).disabled = true;
    try {
      render(await api(`/quizzes/${quizId}/${move}`, { method: "POST", token }));
    } catch (error) {
      fail(error.code === "no_more_questions"
        ? "That was the last question: finish the quiz."
        : error.message);
    } finally {
      $(move).disabled = false;
    }
  });
}

async function show() {
  $("token-card").hidden = Boolean(token);
  if (!quizId) {
    $("create").hidden = !token;
    return;
  }
  if (!token) return;
  try {
    quiz = quiz || (await api(`/quizzes/${quizId}`));
  } catch (error) {
    fail(error.message);
    return;
  }
  $("title").textContent = quiz.title;
  $("console").hidden = false;
  $("play-link").href = `/play/${quizId}`;
  $("play-link").textContent = `${location.origin}/play/${quizId}`;
  $("board-link").href = `/board/${quizId}#token=${encodeURIComponent(token)}`;
  const live = quiz.mode === "live";
  $("controls").hidden = !live;
  $("open-note").hidden = live;
  poll();
}

async function poll() {
  try {
    render(await api(`/quizzes/${quizId}/state`));
  } catch (error) {
    fail(error.message);
  }
  setTimeout(poll, 500);
}

function render(state) {
  clock.learn(state.server_time);
  $("phase").textContent = state.phase;
  $("players").textContent = `${state.total_players} players`;
  const question = state.question;
  $("question-position").textContent =
    question ? `Question ${question.position} of ${quiz.question_count}` : "";
  $("question-prompt").textContent = question ? question.prompt : "";
  $("answered").textContent = question && state.answered !== null
    ? `Answered: ${state.answered} of ${state.total_players}` : "";
  const open = state.phase === "question";
  $("timer").hidden = !open;
  const key = open ? `${question.id}` : null;
  if (key !== shownQuestion) {
    stopCountdown();
    shownQuestion = key;
    if (open) stopCountdown = countdown($("countdown"), state.closes_at);
  }
  $("reveal").disabled = !open;
  $("next").disabled = state.phase === "finished";
  $("finish").disabled = state.phase === "finished";
}

show();
