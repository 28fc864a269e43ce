// The chrome every page shares: its elements by id, the quiz in its address, its title,
// its error line and its connection badge.
import { api } from "/web/js/api.js";
import { t } from "/web/js/i18n.js";

/** The element with ``id``. */
export const $ = (id) => document.getElementById(id);

/** The quiz id in this page's address (/play/7, /board/7, /host/7), or null. */
export function quizIdFromPath() {
  const match = location.pathname.match(/\/(\d{1,19})\/?$/);
  return match ? match[1] : null;
}

/** A fragment parameter of this page's address (#token=..., #jwt=...), or null. */
export function fromHash(name) {
  return new URLSearchParams(location.hash.slice(1)).get(name);
}

/** Show ``message`` in the page's error line (role=alert); "" clears it. */
export function fail(message) {
  $("error").textContent = message;
}

/** The page's heading, and its tab title with ``what`` (play, board, host). */
export function titled(text, what) {
  $("title").textContent = text;
  document.title = `${text} · ${what}`;
}

/** The connection badge, for a feed's state: "live", "lost" or "stalled". */
export function showStatus(state) {
  const el = $("status");
  el.hidden = false;
  const labels = { live: t("status.live"), lost: t("status.lost"), stalled: t("status.stalled") };
  el.textContent = labels[state];
  el.classList.toggle("lost", state !== "live");
}

/** The quiz's request, sent at once: a page sends it while its language loads. */
export function requestQuiz(quizId) {
  const request = api(`/quizzes/${quizId}`);
  request.catch(() => {}); // its failure is loadQuiz's to show
  return request;
}

/** The page's quiz, its title shown; null, with "Quiz not found", when it cannot be read. */
export async function loadQuiz(quizId, what, request = requestQuiz(quizId)) {
  try {
    const quiz = await request;
    titled(quiz.title, what);
    return quiz;
  } catch (error) {
    $("title").textContent = t("page.not_found");
    fail(error.message);
    return null;
  }
}

/** Run the page's ``main``: a failure it did not catch shows as its error line. */
export function run(main) {
  main().catch((error) => fail(error.message || String(error)));
}

// The player app: installable (the manifest), with a service worker that shows a page
// saying it needs the network when a page cannot load. Browsers without one skip it.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
