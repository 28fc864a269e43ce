// The quiz's feed from the gateway: snapshots (stale versions dropped) and every other
// message, over one WebSocket that reconnects with backoff.
import { clientConfig } from "/web/js/api.js";
import { clock } from "/web/js/clock.js";

async function gatewayBase() {
  const config = await clientConfig();
  if (config.gateway_url) return config.gateway_url.replace(/\/$/, "");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.hostname}:${config.gateway_port}`;
}

/** Whether a snapshot ``as_of`` an entry id covers entry ``wanted`` (ids are "ms-seq"). */
export function covers(asOf, wanted) {
  if (!wanted) return true;
  if (!asOf) return false;
  const [a, b] = [asOf, wanted].map((id) => id.split("-").map(BigInt));
  return a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]);
}

/** The close code of a player the host removed (4000-4999: the application's). */
export const REMOVED_CLOSE_CODE = 4001;

/**
 * One quiz's feed. onSnapshot gets each newer board, onMessage every other message
 * (after the clock has learned its server_time), onStatus the connection's state:
 * "live", "lost" (reconnecting), or "stalled" (connected, but the gateway lost its own
 * feed: what it shows may be behind until it says "live" again); onRemoved(reason)
 * the close of a player the host removed (no reconnect then).
 * Reconnects with backoff and full jitter.
 */
export class Feed {
  constructor(quizId, token, { onSnapshot, onMessage, onStatus, onRemoved }) {
    this.quizId = quizId;
    this.token = token;
    this.onSnapshot = onSnapshot || (() => {});
    this.onMessage = onMessage || (() => {});
    this.onStatus = onStatus || (() => {});
    this.onRemoved = onRemoved || (() => {});
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
    ws.onopen = () => { this.attempt = 0; this.onStatus("live"); };
    ws.onmessage = (event) => this.receive(JSON.parse(event.data));
    ws.onclose = (event) => {
      if (event.code === REMOVED_CLOSE_CODE) {
        this.closed = true;
        this.onRemoved(event.reason);
        return;
      }
      this.onStatus("lost");
      if (this.closed) return;
      // 0.25 s, 0.5 s, ... up to 8 s, each a random share.
      const cap = Math.min(8000, 250 * 2 ** this.attempt);
      this.attempt += 1;
      setTimeout(() => this.connect(), Math.random() * cap + 100);
    };
  }

  receive(message) {
    if (message.type === "feed") {
      this.onStatus(message.live ? "live" : "stalled");
      return;
    }
    if (message.type === "leaderboard") {
      if (message.version < this.version) return; // older than the one shown
      this.version = message.version;
      this.onSnapshot(message);
      return;
    }
    clock.learn(message.server_time);
    this.onMessage(message);
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
  }
}
