// The player's page: join, then answer (an open quiz at one's own pace, a live one as
// the host opens each question), with the live board and one's own row.
import {
  api, clock, countdown, covers, Feed, quizIdFromPath, renderBoard, renderDistribution, rightAnswer,
  session, showStatus,
} from "/web/js/common.js";

const $ = (id) => document.getElementById(id);
const quizId = quizIdFromPath();
const playerKey = `qb:player:${quizId}`;
const answeredKey = `qb:answered:${quizId}`;
// An app's join link carries its user's JWT: /play/7#jwt=...
const appJwt = new URLSearchParams(location.hash.slice(1)).get("jwt");

let quiz = null;
let me = session.get(playerKey);
const answered = new Set(session.get(answeredKey) || []);
let current = null; // the question on screen
let stopCountdown = () => {};
let lastRank = null;
let standingDue = 0;
let finalAsOf = null; // set when the quiz ends: my rank is final once a snapshot covers it

function fail(message) { $("error").textContent = message; }

async function main() {
  try {
    quiz = await api(`/quizzes/${quizId}`);
  } catch (error) {
    $("title").textContent = "Quiz not found";
    fail(error.message);
    return;
  }
  $("title").textContent = quiz.title;
  document.title = `${quiz.title} · quizboard`;
  if (me) start();
  else {
    $("join").hidden = false;
    if (appJwt) $("name").required = false; // the app's token may name the player
    $("name").focus();
  }
}

$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  fail("");
  const name = $("name").value.trim();
  if (!name && !appJwt) return;
  const button = event.submitter || $("join-form").querySelector("button");
  button.disabled = true;
  try {
    const joined = await api(`/quizzes/${quizId}/join`, {
      method: "POST", body: name ? { display_name: name } : {}, token: appJwt,
    });
    me = { player_id: joined.player_id, token: joined.token, name: name || joined.player_id };
    session.set(playerKey, me);
    start();
  } catch (error) {
    fail(error.message);
  } finally {
    button.disabled = false;
  }
});

async function start() {
  $("join").hidden = true;
  $("game").hidden = false;
  $("status").hidden = false;
  const feed = new Feed(quizId, me.token, {
    onSnapshot: showBoard,
    onLive: onLive,
    onStatus: (connected) => showStatus($("status"), connected),
  });
  feed.start().catch((error) => fail(error.message));
  if (quiz.mode === "live") {
    const state = await api(`/quizzes/${quizId}/state`);
    clock.learn(state.server_time);
    applyState(state);
  } else {
    nextOpenQuestion();
  }
}

// ---- an open quiz: the questions one after another ----

function nextOpenQuestion() {
  const total = quiz.questions.length;
  const index = quiz.questions.findIndex((q) => !answered.has(q.id));
  $("progress").hidden = false;
  $("progress-bar").style.width = `${(100 * answered.size) / total}%`;
  if (index === -1) {
    clearQuestion();
    $("progress-text").textContent = `All ${total} questions answered`;
    $("prompt").textContent = "You have answered every question.";
    refreshStanding(true);
    return;
  }
  $("progress-text").textContent = `Question ${index + 1} of ${total}`;
  showQuestion(quiz.questions[index]);
}

// ---- a live quiz: what the host opens, closes and ends ----

function applyState(state) {
  if (state.phase === "question" && state.question) {
    showLiveQuestion(state.question, state.closes_at);
  } else if (state.phase === "finished") {
    finished();
  } else if (state.phase === "results") {
    clearQuestion();
    $("message").textContent = "Waiting for the next question…";
  } else {
    clearQuestion();
    $("prompt").textContent = "Waiting for the host to start the quiz…";
  }
}

function onLive(message) {
  if (message.type === "question") {
    showLiveQuestion(message.question, message.closes_at);
  } else if (message.type === "question_results") {
    if (current && current.id === message.question_id) showResults(current, message);
  } else if (message.type === "quiz_finished") {
    finalAsOf = message.final_as_of || "";
    finished();
  }
}

function showLiveQuestion(question, closesAt) {
  if (current && current.id === question.id) return; // already on screen
  $("progress-text").textContent = `Question ${question.position} of ${quiz.question_count}`;
  showQuestion(question);
  $("timer").hidden = false;
  stopCountdown = countdown($("countdown"), closesAt, () => {
    lock();
    if (!answered.has(question.id)) $("message").textContent = "Time is up.";
  });
  if (answered.has(question.id)) {
    lock();
    $("message").textContent = "Answer sent. Waiting for the results…";
  }
}

function showResults(question, results) {
  stopCountdown();
  lock();
  $("timer").hidden = true;
  $("results").hidden = false;
  $("right-answer").textContent = `Right answer: ${rightAnswer(question, results)}`;
  renderDistribution($("distribution"), question, results);
  $("message").textContent =
    `${results.answered} of ${results.total_players} players answered. Next question soon…`;
  refreshStanding(true);
}

function finished() {
  clearQuestion();
  $("prompt").textContent = "The quiz is over.";
  refreshStanding(true);
}

// ---- one question on screen ----

function clearQuestion() {
  stopCountdown();
  current = null;
  $("prompt").textContent = "";
  $("choices").replaceChildren();
  $("text-form").hidden = true;
  $("timer").hidden = true;
  $("results").hidden = true;
  $("verdict").textContent = "";
  $("verdict").className = "verdict";
  $("message").textContent = "";
}

function showQuestion(question) {
  clearQuestion();
  current = question;
  $("prompt").textContent = question.prompt;
  if (question.kind === "choice") {
    question.choices.forEach((choice, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = choice;
      button.addEventListener("click", () => {
        button.classList.add("picked");
        submit(question, index);
      });
      $("choices").append(button);
    });
  } else {
    $("text-form").hidden = false;
    $("answer").value = "";
  }
  unlock();
}

$("text-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (current && current.kind === "text") submit(current, $("answer").value);
});

function lock() {
  for (const control of $("stage").querySelectorAll("button, input")) control.disabled = true;
}

function unlock() {
  for (const control of $("stage").querySelectorAll("button, input")) control.disabled = false;
}

async function submit(question, value) {
  lock();
  const verdict = $("verdict");
  try {
    const reply = await api(`/quizzes/${quizId}/answers`, {
      method: "POST", token: me.token, body: { question_id: question.id, answer: value },
    });
    verdict.className = `verdict ${reply.correct ? "right" : "wrong"}`;
    const streak = reply.streak ? ` · streak ${reply.streak}` : "";
    verdict.textContent = reply.correct
      ? `Right! +${reply.points} points${streak}`
      : `Wrong: 0 points${streak}`;
  } catch (error) {
    if (error.code === "already_answered") {
      verdict.textContent = "You already answered this question.";
    } else if (error.code === "question_closed") {
      verdict.textContent = "Too late: the question has closed.";
    } else {
      fail(error.message);
      unlock();
      return;
    }
  }
  answered.add(question.id);
  session.set(answeredKey, [...answered]);
  if (quiz.mode === "live") {
    $("message").textContent = "Answer sent. Waiting for the results…";
  } else {
    setTimeout(nextOpenQuestion, 900);
  }
}

// ---- the board and where I stand ----

let lastSnapshot = null;

function showBoard(snapshot) {
  lastSnapshot = snapshot;
  if (finalAsOf !== null && covers(snapshot.as_of, finalAsOf)) {
    finalAsOf = null; // the final board: my final rank, once
    refreshStanding(true);
  }
  $("players").textContent = `${snapshot.total_players} players`;
  const mine = snapshot.entries.find((e) => e.player_id === me.player_id);
  if (mine) {
    renderBoard($("board"), snapshot.entries, me.player_id);
    announce(mine.rank, snapshot.total_players, mine.score);
  } else {
    renderBoard($("board"), snapshot.entries, me.player_id, pinned);
    refreshStanding(false);
  }
}

let pinned = []; // my row and my neighbours, when I am outside the top

let standingTimer = null;

/** Fetch my rank, score and neighbours from the API (the board shows only the top): at
 * once when ``now``, otherwise at most once a second, the last call never lost. */
function refreshStanding(now) {
  if (standingTimer !== null) {
    if (!now) return; // one is on its way
    clearTimeout(standingTimer);
  }
  const wait = now ? 0 : Math.max(0, standingDue - Date.now());
  standingTimer = setTimeout(loadStanding, wait);
}

async function loadStanding() {
  standingTimer = null;
  standingDue = Date.now() + 1000;
  try {
    const standing = await api(`/quizzes/${quizId}/leaderboard/me?around=1`, { token: me.token });
    if (standing.rank == null) { // my join is not on the board yet
      refreshStanding(false);
      return;
    }
    pinned = standing.around || [];
    if (lastSnapshot) renderBoard($("board"), lastSnapshot.entries, me.player_id, pinned);
    announce(standing.rank, standing.total_players, standing.score);
  } catch (error) {
    // the board still shows; the next snapshot tries again
  }
}

function announce(rank, total, score) {
  const text = `You are number ${rank} of ${total}, with ${score} points.`;
  if (text !== lastRank) {
    lastRank = text;
    $("rank").textContent = text;
  }
}

main();
