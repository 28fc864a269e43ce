// What a tab keeps across a reload (session storage: another tab does not see it), and
// the one list of its keys.

export const keys = {
  player: (quizId) => `qb:player:${quizId}`, // {player_id, token, name}
  answered: (quizId) => `qb:answered:${quizId}`, // the ids of the questions answered
  host: (quizId) => `qb:host:${quizId}`, // a quiz's host token
  anyHost: "qb:host-token", // the token typed into the console without a quiz
};

/** Session storage as JSON. */
export const session = {
  get(key) {
    try { return JSON.parse(sessionStorage.getItem(key)); } catch { return null; }
  },
  set(key, value) { sessionStorage.setItem(key, JSON.stringify(value)); },
  remove(key) { sessionStorage.removeItem(key); },
};

/** The host token this tab holds for ``quizId``, or for any quiz. */
export function hostToken(quizId) {
  return (quizId && session.get(keys.host(quizId))) || session.get(keys.anyHost);
}
