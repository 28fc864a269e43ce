// A leaderboard gateway written the way most Node developers would write it: the `ws`
// package and node-redis, one sharded subscription to the quiz's channel, and each
// message sent to every open client. It is the peer that scripts/bench_gateway.py
// measures quizboard's gateway against; it checks no token and serves one quiz.
//
//   node gateway.js --port 8002 --redis redis://127.0.0.1:6379 --channel 'qb:{p0-0}:lb:1'
import { createClient } from "redis";
import { WebSocketServer } from "ws";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, word, i, all) => {
    if (word.startsWith("--")) pairs.push([word.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);

let last = JSON.stringify({ type: "leaderboard", version: 0, entries: [] });
const server = new WebSocketServer({ port: Number(args.port), perMessageDeflate: false });
server.on("connection", (socket) => socket.send(last));

const subscriber = createClient({ url: args.redis });
subscriber.on("error", (error) => console.error("redis:", error.message));
await subscriber.connect();
await subscriber.sSubscribe(args.channel, (message) => {
  last = message;
  for (const client of server.clients) {
    if (client.readyState === 1) client.send(message);
  }
});
console.log(`node gateway listening on ws://127.0.0.1:${args.port}`);
