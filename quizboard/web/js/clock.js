// The server's clock as this page best knows it (messages carry server_time), and the
// countdown that reads it.
import { t } from "/web/js/i18n.js";

export const clock = {
  offset: 0,
  learn(serverTime) { if (typeof serverTime === "number") this.offset = serverTime - Date.now(); },
  now() { return Date.now() + this.offset; },
};

/** Count down to closesAt (server ms) in el, as "12 s"; calls onEnd once at zero. Returns
 * the function that stops it. A question with no timer (closesAt null) shows that the
 * host reveals it. */
export function countdown(el, closesAt, onEnd) {
  if (closesAt === null || closesAt === undefined) {
    el.textContent = t("clock.no_limit");
    return () => {};
  }
  let ended = false;
  const tick = () => {
    const left = Math.max(0, closesAt - clock.now());
    el.textContent = t("clock.seconds", { n: Math.ceil(left / 1000) });
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
