// A live quiz as a page follows it: the question on screen, its results, the end, and
// the final board. Both the player's page and the big board use it; each says what to
// show through its handlers.
import { covers } from "/web/js/feed.js";

export class LiveQuiz {
  /** handlers: question(question, closesAt), results(question, results), waiting(phase),
   * finished(), final() once the board covers the last answer. All optional. */
  constructor(handlers) {
    this.on = handlers;
    this.current = null; // the open question on screen
    this.finalAsOf = null; // once finished: the last answer the final board must cover
  }

  /** Where the quiz is, from GET /state. */
  state(state) {
    if (state.phase === "question" && state.question) {
      this.question(state.question, state.closes_at);
    } else if (state.phase === "finished") {
      this.finish(null);
    } else {
      this.current = null;
      this.call("waiting", state.phase);
    }
  }

  /** A message from the feed (question, question_results, quiz_finished). */
  message(message) {
    if (message.type === "question") {
      this.question(message.question, message.closes_at);
    } else if (message.type === "question_results") {
      if (this.current && this.current.id === message.question_id) {
        this.call("results", this.current, message);
      }
    } else if (message.type === "quiz_finished") {
      this.finish(message.final_as_of || "");
    }
  }

  /** A snapshot: the final board, once, when it covers the last answer. */
  snapshot(snapshot) {
    if (this.finalAsOf !== null && covers(snapshot.as_of, this.finalAsOf)) {
      this.finalAsOf = null;
      this.call("final");
    }
  }

  question(question, closesAt) {
    if (this.current && this.current.id === question.id) return; // already on screen
    this.current = question;
    this.call("question", question, closesAt);
  }

  finish(finalAsOf) {
    this.current = null;
    if (finalAsOf !== null) this.finalAsOf = finalAsOf;
    this.call("finished");
  }

  call(name, ...args) {
    if (this.on[name]) this.on[name](...args);
  }
}
