// The big-screen board: the top 10 moving as scores change, the join link, and in a
// live quiz the open question with its countdown. It watches with the host's (or the
// admin's) token: from #token= in its address, or the host console's session.
import {
  api, clock, countdown, covers, Feed, quizIdFromPath, renderBoard, renderDistribution, rightAnswer,
  session, showStatus,
} from "/web/js/common.js";

const $ = (id) => document.getElementById(id);
const quizId = quizIdFromPath();
const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
const token = fromHash || session.get(`qb:host:${quizId}`) || session.get("qb:host-token");
let quiz = null;
let current = null;
let stopCountdown = () => {};
let finalAsOf = null; // set when the quiz ends: the board is final once a snapshot covers it

async function main() {
  const link = `${location.origin}/play/${quizId}`;
  $("join-link").href = link;
  $("join-link").textContent = link;
  try {
    quiz = await api(`/quizzes/${quizId}`);
  } catch (error) {
    $("title").textContent = "Quiz not found";
    $("error").textContent = error.message;
    return;
  }
  $("title").textContent = quiz.title;
  document.title = `${quiz.title} · board`;
  if (!token) {
    $("error").textContent =
      "Open this board from the host console, or add #token=<host token> to its address.";
    return;
  }
  if (fromHash) session.set(`qb:host:${quizId}`, fromHash);
  $("status").hidden = false;
  const feed = new Feed(quizId, token, {
    onSnapshot: (snapshot) => {
      $("players").textContent = `${snapshot.total_players} players`;
      renderBoard($("board"), snapshot.entries, null);
      if (finalAsOf !== null && covers(snapshot.as_of, finalAsOf)) {
        $("question-prompt").textContent = "The quiz is over. Final board:";
      }
    },
    onLive: onLive,
    onStatus: (connected) => showStatus($("status"), connected),
  });
  await feed.start();
  if (quiz.mode === "live") {
    const state = await api(`/quizzes/${quizId}/state`);
    clock.learn(state.server_time);
    if (state.phase === "question" && state.question) showQuestion(state.question, state.closes_at);
    if (state.phase === "finished") showFinished("The quiz is over. Final board:");
  }
}

function onLive(message) {
  if (message.type === "question") showQuestion(message.question, message.closes_at);
  else if (message.type === "question_results" && current && current.id === message.question_id) {
    stopCountdown();
    $("timer").hidden = true;
    $("results").hidden = false;
    $("right-answer").textContent = `Right answer: ${rightAnswer(current, message)}`;
    renderDistribution($("distribution"), current, message);
  } else if (message.type === "quiz_finished") {
    finalAsOf = message.final_as_of || "";
    showFinished("The quiz is over. Counting the last answers…");
  }
}

function showQuestion(question, closesAt) {
  if (current && current.id === question.id) return;
  current = question;
  stopCountdown();
  $("live").hidden = false;
  $("results").hidden = true;
  $("question-position").textContent = `Question ${question.position} of ${quiz.question_count}`;
  $("question-prompt").textContent = question.prompt;
  $("timer").hidden = false;
  stopCountdown = countdown($("countdown"), closesAt);
}

function showFinished(text) {
  stopCountdown();
  current = null;
  $("live").hidden = false;
  $("timer").hidden = true;
  $("results").hidden = true;
  $("question-position").textContent = "";
  $("question-prompt").textContent = text;
}

main().catch((error) => { $("error").textContent = error.message; });
