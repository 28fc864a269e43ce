-- Where a live quiz is, read at one instant: the state, the open question's answer
-- count, the player count and the time on Valkey's clock.
--
-- KEYS (StateKeys): live, tally, players
-- ARGV: none
-- Returns {phase, question, opened, closes, answered, players, now}.
--#include clock.lua
local live, tally, players = unpack(KEYS, 1, 3)  -- StateKeys
local s = redis.call('HMGET', live, 'phase', 'question', 'opened', 'closes')
local answered = s[2] and redis.call('HGET', tally, s[2]) or false
return {s[1], s[2], s[3], s[4], answered, redis.call('HLEN', players), now_ms()}
