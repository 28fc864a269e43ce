// What every page shares: the API, the gateway feed, the board, the clock, the session.

/** The quiz id in this page's address (/play/7, /board/7, /host/7), or null. */
export function quizIdFromPath() {
  const match = location.pathname.match(/\/(\d{1,19})\/?$/);
  return match ? match[1] : null;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** One JSON request to the API; the decoded body, or an ApiError with the API's code. */
export async function api(path, { method = "GET", body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, "network", "The server cannot be reached. Try again.");
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = data && data.error ? data.error : { code: "error", message: response.statusText };
    throw new ApiError(response.status, error.code, error.message);
  }
  return data;
}

/** Session storage as JSON: a reload of the tab keeps it, another tab does not see it. */
export const session = {
  get(key) {
    try { return JSON.parse(sessionStorage.getItem(key)); } catch { return null; }
  },
  set(key, value) { sessionStorage.setItem(key, JSON.stringify(value)); },
  remove(key) { sessionStorage.removeItem(key); },
};

/** The server's clock as this page best knows it: messages carry server_time. */
export const clock = {
  offset: 0,
  learn(serverTime) { if (typeof serverTime === "number") this.offset = serverTime - Date.now(); },
  now() { return Date.now() + this.offset; },
};

/** Count down to closesAt (server ms) in el, as "12 s"; calls onEnd once at zero. */
export function countdown(el, closesAt, onEnd) {
  let ended = false;
  const tick = () => {
    const left = Math.max(0, closesAt - clock.now());
    el.textContent = `${Math.ceil(left / 1000)} s`;
    if (left <= 0 && !ended) {
      ended = true;
      clearInterval(timer);
      if (onEnd) onEnd();
    }
  };
  const timer = setInterval(tick, 200);
  tick();
  return () => clearInterval(timer);
}

async function gatewayBase() {
  const config = await api("/client-config.json");
  if (config.gateway_url) return config.gateway_url.replace(/\/$/, "");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.hostname}:${config.gateway_port}`;
}

/**
 * The quiz's live feed from the gateway: snapshots (stale versions dropped) and live
 * messages. Reconnects with backoff and jitter; onStatus(true|false) tells the page.
 */
export class Feed {
  constructor(quizId, token, { onSnapshot, onLive, onStatus }) {
    this.quizId = quizId;
    this.token = token;
    this.onSnapshot = onSnapshot || (() => {});
    this.onLive = onLive || (() => {});
    this.onStatus = onStatus || (() => {});
    this.version = -1;
    this.attempt = 0;
    this.closed = false;
  }

  async start() {
    this.base = await gatewayBase();
    this.connect();
  }

  connect() {
    if (this.closed) return;
    const url = `${this.base}/quizzes/${this.quizId}?token=${encodeURIComponent(this.token)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => { this.attempt = 0; this.onStatus(true); };
    ws.onmessage = (event) => this.receive(JSON.parse(event.data));
    ws.onclose = () => {
      this.onStatus(false);
      if (this.closed) return;
      // Backoff with full jitter: 0.25 s, 0.5 s, ... up to 8 s, each a random share.
      const cap = Math.min(8000, 250 * 2 ** this.attempt);
      this.attempt += 1;
      setTimeout(() => this.connect(), Math.random() * cap + 100);
    };
  }

  receive(message) {
    if (message.type === "leaderboard") {
      if (message.version < this.version) return; // older than the one shown
      this.version = message.version;
      this.onSnapshot(message);
      return;
    }
    clock.learn(message.server_time);
    this.onLive(message);
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
  }
}

/**
 * Render entries into the <ol> list, animating rows that moved (FLIP). ``me`` is the
 * player's id to highlight; ``pinned`` rows go under the list, after a gap (the player
 * and its neighbours, when outside the top).
 */
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

/** Whether a snapshot ``as_of`` an entry id covers entry ``wanted`` (ids are "ms-seq"). */
export function covers(asOf, wanted) {
  if (!wanted) return true;
  if (!asOf) return false;
  const [a, b] = [asOf, wanted].map((id) => id.split("-").map(BigInt));
  return a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]);
}

/** The connection badge: "Live" or "Reconnecting…". */
export function showStatus(el, connected) {
  el.textContent = connected ? "Live" : "Connection lost: reconnecting…";
  el.classList.toggle("lost", !connected);
}

/** A question's right answer as text. */
export function rightAnswer(question, results) {
  if (typeof results.answer === "number") return question.choices[results.answer];
  return results.answer.join(", ");
}

/** The distribution of a question's answers as list items: [label, count, right?]. */
export function distributionRows(question, results) {
  if (Array.isArray(results.distribution)) {
    return question.choices.map((choice, i) => [choice, results.distribution[i], i === results.answer]);
  }
  return [["Right", results.distribution.correct, true], ["Wrong", results.distribution.wrong, false]];
}

export function renderDistribution(list, question, results) {
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
