// The player's page: join, then answer (an open quiz at one's own pace, a live one as
// the host opens each question), with the live board and one's own row.
import { api } from "/web/js/api.js";
import { clock, countdown } from "/web/js/clock.js";
import { Feed } from "/web/js/feed.js";
import { answerForm } from "/web/js/forms.js";
import { loadLanguage, number, t } from "/web/js/i18n.js";
import { LiveQuiz } from "/web/js/live.js";
import {
  $, fail, fromHash, loadQuiz, quizIdFromPath, requestQuiz, run, showStatus,
} from "/web/js/page.js";
import { keys, session } from "/web/js/session.js";
import {
  picture, renderBoard, renderQuestionMedia, renderResults, shape, soundButton,
} from "/web/js/view.js";

const quizId = quizIdFromPath();

/** Everything this page knows. */
const page = {
  quiz: null,
  me: session.get(keys.player(quizId)), // {player_id, token, name} once joined
  appJwt: fromHash("jwt"), // an app's join link carries its user's JWT: /play/7#jwt=...
  answered: new Set(session.get(keys.answered(quizId)) || []),
  current: null, // the question on screen
  stopCountdown: () => {},
  live: null, // a LiveQuiz, for a live quiz
  snapshot: null, // the last board
  pinned: [], // my row and my neighbours, when I am outside the top
  rankText: null, // what the rank line says
};

async function main() {
  const request = requestQuiz(quizId); // while the language loads
  await loadLanguage();
  page.quiz = await loadQuiz(quizId, "quizboard", request);
  if (!page.quiz) return;
  if (page.me) {
    await start();
    return;
  }
  $("join").hidden = false;
  if (page.appJwt) $("name").required = false; // the app's token may name the player
  if (page.quiz.names === "generated") { // the quiz gives each player a name
    $("name").required = false;
    $("name-field").hidden = true;
    $("join-note").hidden = false;
  }
  if (page.quiz.teams.length) { // a team quiz: the player may pick its team
    $("team-field").hidden = false;
    $("team").append(...page.quiz.teams.map((team, index) => new Option(team, String(index))));
  }
  $("name").focus();
}

$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  fail("");
  const given = page.quiz.names === "generated";
  const name = given ? "" : $("name").value.trim();
  if (!name && !page.appJwt && !given) return;
  const button = event.submitter || $("join-form").querySelector("button");
  button.disabled = true;
  try {
    const body = name ? { display_name: name } : {};
    if ($("team").value !== "") body.team = Number($("team").value);
    const joined = await api(`/quizzes/${quizId}/join`, { method: "POST", body, token: page.appJwt });
    page.me = {
      player_id: joined.player_id, token: joined.token, name: joined.display_name || name,
      team: joined.team ?? null,
    };
    session.set(keys.player(quizId), page.me);
    await start();
  } catch (error) {
    fail(error.message);
  } finally {
    button.disabled = false;
  }
});

async function start() {
  $("join").hidden = true;
  $("game").hidden = false;
  if (page.quiz.mode === "live") {
    page.live = new LiveQuiz({
      question: showLiveQuestion,
      results: showResults,
      waiting: waiting,
      finished: finished,
    });
  }
  // The gateway pushes my own standing after each board that changes it: no request.
  const feed = new Feed(quizId, page.me.token, {
    onSnapshot: showBoard,
    onMessage: (message) => {
      if (message.type === "standing") showStanding(message);
      else if (message.type === "team_leaderboard") showTeamPlace(message);
      else if (page.live) page.live.message(message);
    },
    onStatus: showStatus,
    onRemoved: removed,
  });
  page.feed = feed;
  feed.start().catch((error) => fail(error.message));
  if (page.live) {
    const state = await api(`/quizzes/${quizId}/state`);
    clock.learn(state.server_time);
    page.live.state(state);
  } else {
    nextOpenQuestion();
  }
}

// ---- an open quiz: the questions one after another ----

function nextOpenQuestion() {
  const { questions } = page.quiz;
  const total = questions.length;
  const index = questions.findIndex((q) => !page.answered.has(q.id));
  $("progress").hidden = false;
  $("progress-bar").style.width = `${(100 * page.answered.size) / total}%`;
  if (index === -1) {
    clearQuestion();
    $("progress-text").textContent = t("play.all_answered_count", { total });
    $("prompt").textContent = t("play.all_answered");
    return;
  }
  $("progress-text").textContent = t("play.question_of", { n: index + 1, total });
  showQuestion(questions[index]);
}

// ---- a live quiz: what the host opens, closes and ends ----

/** A quiz that shows its board only between questions hides it while one is open. */
function boardShown(shown) {
  $("board-card").hidden = !shown && page.quiz.board_between_questions;
}

function waiting(phase) {
  clearQuestion();
  boardShown(true);
  if (phase === "results") $("message").textContent = t("play.wait_next");
  else $("prompt").textContent = t("play.wait_start");
}

function showLiveQuestion(question, closesAt) {
  $("progress-text").textContent =
    t("play.question_of", { n: question.position, total: page.quiz.question_count });
  showQuestion(question);
  boardShown(false);
  $("timer").hidden = false;
  page.stopCountdown = countdown($("countdown"), closesAt, () => {
    lock();
    if (!page.answered.has(question.id)) $("message").textContent = t("play.time_up");
  });
  if (page.answered.has(question.id)) {
    lock();
    $("message").textContent = t("play.sent");
  }
}

function showResults(question, results) {
  page.stopCountdown();
  boardShown(true);
  lock();
  $("timer").hidden = true;
  $("results").hidden = false;
  renderResults($("right-answer"), $("distribution"), question, results);
  $("explanation").textContent = results.explanation || "";
  $("message").textContent =
    t("play.answered_of", { answered: results.answered, total: results.total_players });
}

/** The host removed this player: the game ends here, and the tab forgets it. */
function removed(reason) {
  clearQuestion();
  page.removed = true;
  session.remove(keys.player(quizId));
  session.remove(keys.answered(quizId));
  $("game").hidden = true;
  $("status").hidden = true;
  fail(t(/banned/.test(reason || "") ? "play.banned" : "play.removed"));
}

function finished() {
  clearQuestion();
  page.over = true;
  boardShown(true);
  $("prompt").textContent = t("play.over");
  if (page.standing) announce(page.standing.rank, page.standing.total_players, page.standing.score);
  if (page.teams) showTeamPlace(page.teams);
}

// ---- one question on screen ----

function clearQuestion() {
  page.stopCountdown();
  page.current = null;
  $("prompt").textContent = "";
  $("question-media").replaceChildren();
  $("question-media").hidden = true;
  $("choices").replaceChildren();
  $("text-form").hidden = true;
  $("timer").hidden = true;
  $("results").hidden = true;
  $("verdict").textContent = "";
  $("verdict").className = "verdict";
  $("explanation").textContent = "";
  $("message").textContent = "";
}

function showQuestion(question) {
  clearQuestion();
  page.current = question;
  $("prompt").textContent = question.prompt;
  renderQuestionMedia($("question-media"), question);
  if (["multi", "order", "match"].includes(question.kind)) {
    $("choices").append(answerForm(question, (answer) => submit(question, answer)));
  } else if (question.choices) { // choice, true_false, poll
    question.choices.forEach((choice, index) => {
      const media = (question.choice_media || [])[index] || {};
      const button = document.createElement("button");
      button.type = "button";
      const image = picture(media.image);
      if (image) button.append(image);
      button.append(shape(index), choice);
      button.addEventListener("click", () => {
        button.classList.add("picked");
        submit(question, index);
      });
      $("choices").append(button);
      const sound = soundButton(media.audio, t("play.hear_choice", { choice }));
      if (sound) $("choices").append(sound);
    });
  } else {
    $("text-form").hidden = false;
    $("answer").value = "";
  }
  unlock();
}

$("text-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (page.current && page.current.kind === "text") submit(page.current, $("answer").value);
});

const CONTROLS = "button, input, select";

function lock() {
  for (const control of $("stage").querySelectorAll(CONTROLS)) control.disabled = true;
}

function unlock() {
  for (const control of $("stage").querySelectorAll(CONTROLS)) control.disabled = false;
}

async function submit(question, value) {
  lock();
  const verdict = $("verdict");
  try {
    const reply = await api(`/quizzes/${quizId}/answers`, {
      method: "POST", token: page.me.token, body: { question_id: question.id, answer: value },
    });
    verdict.className = `verdict ${reply.correct || reply.points > 0 ? "right" : "wrong"}`;
    verdict.textContent = verdictText(question, reply);
    $("explanation").textContent = reply.explanation || "";
  } catch (error) {
    if (error.code === "player_removed") {
      page.feed.close();
      removed("the host removed you from this quiz");
      return;
    }
    if (error.code === "already_answered") {
      verdict.textContent = t("play.already");
    } else if (error.code === "question_closed") {
      verdict.textContent = t("play.too_late");
    } else {
      fail(error.message);
      unlock();
      return;
    }
  }
  page.answered.add(question.id);
  session.set(keys.answered(quizId), [...page.answered]);
  if (page.live) {
    $("message").textContent = t("play.sent");
  } else {
    setTimeout(nextOpenQuestion, 900);
  }
}

/** What the reply to an answer says: right, partly right, wrong (with a penalty), or
 * for a poll, counted. */
function verdictText(question, reply) {
  if (question.kind === "poll") return t("play.poll_counted");
  const streak = reply.streak ? t("play.streak", { streak: reply.streak }) : "";
  if (reply.correct) return t("play.right", { points: reply.points }) + streak;
  if (reply.points > 0) return t("play.partly", { points: reply.points });
  return t("play.wrong", { points: reply.points < 0 ? `−${number(-reply.points)}` : "0" });
}

// ---- the board and where I stand ----

function showBoard(snapshot) {
  page.snapshot = snapshot;
  if (page.live) page.live.snapshot(snapshot);
  $("players").textContent = t("play.players", { n: snapshot.total_players });
  const mine = snapshot.entries.find((e) => e.player_id === page.me.player_id);
  renderBoard($("board"), snapshot.entries, page.me.player_id, mine ? [] : page.pinned);
  if (mine) announce(mine.rank, snapshot.total_players, mine.score);
}

/** My standing, pushed by the gateway: my row and my neighbours, pinned under the top
 * when I am outside it. */
function showStanding(standing) {
  page.standing = standing;
  page.pinned = standing.around;
  if (page.snapshot) {
    const top = page.snapshot.entries;
    const inTop = top.some((e) => e.player_id === page.me.player_id);
    renderBoard($("board"), top, page.me.player_id, inTop ? [] : page.pinned);
  }
  announce(standing.rank, standing.total_players, standing.score);
}

/** Where my team stands, from the team board that comes with each snapshot. */
function showTeamPlace(board) {
  page.teams = board;
  const mine = board.entries.find((e) => e.team === page.me.team);
  if (!mine) return;
  const tie = board.entries.filter((e) => e.rank === mine.rank).length > 1 ? t("play.tied") : "";
  $("team-place").hidden = false;
  const points = board.ranked_by === "mean"
    ? t("play.team_mean", { score: mine.score }) : t("play.team_total", { total: mine.total });
  $("team-place").textContent = t(page.over ? "play.team_final" : "play.team_place", {
    team: mine.name, rank: mine.rank, tie, count: board.entries.length, points,
  });
}

function announce(rank, total, score) {
  const text = t(page.over ? "play.rank_final" : "play.rank", { rank, total, score });
  if (text !== page.rankText) {
    page.rankText = text;
    $("rank").textContent = text;
  }
}

run(main);
