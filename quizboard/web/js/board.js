// The big-screen board: the top of the board moving as scores change, the join link,
// and in a live quiz the open question with its countdown. It watches with the host's
// (or the admin's) token: from #token= in its address, or the host console's session.
import { api, clientConfig } from "/web/js/api.js";
import { clock, countdown } from "/web/js/clock.js";
import { Feed } from "/web/js/feed.js";
import { lang, loadLanguage, t } from "/web/js/i18n.js";
import { LiveQuiz } from "/web/js/live.js";
import {
  $, fail, fromHash, loadQuiz, quizIdFromPath, requestQuiz, run, showStatus,
} from "/web/js/page.js";
import { joinCode, qrCode } from "/web/js/qr.js";
import { hostToken, keys, session } from "/web/js/session.js";
import { renderBoard, renderQuestionMedia, renderResults, renderTeams } from "/web/js/view.js";

const quizId = quizIdFromPath();

/** Everything this page knows. */
const page = {
  quiz: null,
  snapshot: null, // the last board
  podium: false, // whether the podium went up
  token: fromHash("token") || hostToken(quizId),
  stopCountdown: () => {},
  live: new LiveQuiz({
    question: showQuestion,
    results: (question, results) => {
      page.stopCountdown();
      $("timer").hidden = true;
      $("results").hidden = false;
      renderResults($("right-answer"), $("distribution"), question, results);
      $("explanation").textContent = results.explanation || "";
    },
    finished: () => {
      if (page.live.finalAsOf !== null) {
        showFinished(t("board.counting"));
        return;
      }
      showFinished(t("board.final"));
      showPodium();
    },
    final: () => {
      $("question-prompt").textContent = t("board.final");
      showPodium();
    },
  }),
};

async function main() {
  const request = requestQuiz(quizId); // while the language loads
  clientConfig().catch(() => {}); // and the page's settings
  await loadLanguage();
  const link = `${location.origin}/play/${quizId}`;
  $("join-link").href = link;
  $("join-link").textContent = link;
  $("join-site").textContent = location.host;
  $("join-code").textContent = joinCode(quizId);
  $("join-qr").replaceChildren(qrCode(link, t("board.qr_label", { link })));
  page.quiz = await loadQuiz(quizId, "board", request);
  if (!page.quiz) return;
  $("board-title").textContent = t("board.top", { n: (await clientConfig()).top_n });
  if (!page.token) {
    fail(t("board.no_token"));
    return;
  }
  if (fromHash("token")) session.set(keys.host(quizId), page.token);
  const feed = new Feed(quizId, page.token, {
    onSnapshot: (snapshot) => {
      $("players").textContent = t("play.players", { n: snapshot.total_players });
      page.snapshot = snapshot;
      renderBoard($("board"), snapshot.entries, null);
      page.live.snapshot(snapshot);
    },
    onMessage: (message) => {
      if (message.type === "team_leaderboard") showTeams(message);
      else page.live.message(message);
    },
    onStatus: showStatus,
  });
  await feed.start();
  if (page.quiz.mode === "live") {
    const state = await api(`/quizzes/${quizId}/state`);
    clock.learn(state.server_time);
    page.live.state(state);
  }
}

/** A team quiz's team board, beside the players'. */
function showTeams(board) {
  $("teams").hidden = false;
  $("teams-note").textContent = t(board.ranked_by === "mean" ? "board.ranked_mean" : "board.ranked_total");
  renderTeams($("team-board"), board);
}

function showQuestion(question, closesAt) {
  page.stopCountdown();
  $("live").hidden = false;
  $("results").hidden = true;
  $("question-position").textContent =
    t("play.question_of", { n: question.position, total: page.quiz.question_count });
  $("question-prompt").textContent = question.prompt;
  renderQuestionMedia($("question-media"), question);
  $("timer").hidden = false;
  page.stopCountdown = countdown($("countdown"), closesAt);
}

/** The podium of the final board: third, second, then first, each in turn (at once for
 * a viewer who asked for less motion). */
function showPodium() {
  if (page.podium || !page.snapshot || !page.snapshot.entries.length) return;
  page.podium = true;
  const top = page.snapshot.entries.slice(0, 3);
  const steps = top.map((entry, place) => {
    const step = document.createElement("li");
    step.className = `step place-${place + 1}`;
    const rank = document.createElement("span");
    rank.className = "rank";
    rank.textContent = ordinal(entry.rank);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = entry.display_name;
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = t("board.points", { score: entry.score });
    step.append(rank, name, score);
    return step;
  });
  $("steps").replaceChildren(...steps);
  $("podium").hidden = false;
  const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
  [...steps].reverse().forEach((step, turn) => {
    setTimeout(() => step.classList.add("shown"), still ? 0 : 1200 * turn);
  });
}

function ordinal(rank) {
  const form = new Intl.PluralRules(lang, { type: "ordinal" }).select(rank);
  return t(`board.ordinal.${form}`, { n: rank });
}

function showFinished(text) {
  page.stopCountdown();
  $("live").hidden = false;
  $("timer").hidden = true;
  $("results").hidden = true;
  $("question-position").textContent = "";
  $("question-prompt").textContent = text;
}

run(main);
