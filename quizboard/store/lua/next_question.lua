-- Open a live quiz's next question, closing the open one first, if any.
--
-- KEYS (LiveKeys): live, tally, players, closing
-- ARGV (NextArgs): channel, quiz, seen (the position the caller saw open), then the
--   next question's id, position, limit_ms (its time limit; 0 for none: it stays open
--   until the host reveals it), points, buckets, the head of its results message and
--   the head of its question message
-- Returns {'finished'}; {'moved', position} when another call moved first; or
--   {'opened', now, closes ('' for no timer), the question open before, when that
--   closed}.
--#include clock.lua
--#include close.lua
--#include previous.lua
local live, tally, players, closing = unpack(KEYS, 1, 4)  -- LiveKeys
local channel, quiz, seen, question, position, limit_ms, points, buckets, results_head,
    message_head = unpack(ARGV, 1, 10)  -- NextArgs
local s = redis.call('HMGET', live, 'phase', 'position')
if s[1] == 'finished' then return {'finished'} end
local current = tonumber(s[2]) or 0
if current ~= tonumber(seen) then return {'moved', current} end
local now = now_ms()
close(live, tally, players, closing, channel, quiz, now, true)
local before, closed = previous(live)
local timed = tonumber(limit_ms) > 0
local closes = timed and fmt(now + tonumber(limit_ms)) or ''
local message = message_head ..
    ',"{{QuestionMessage.opened_at}}":' .. fmt(now) ..
    ',"{{QuestionMessage.closes_at}}":' .. (timed and closes or 'null') ..
    ',"{{QuestionMessage.server_time}}":' .. fmt(now) .. '}'
redis.call('HSET', live, 'phase', 'question', 'question', question, 'position', position,
    'opened', now, 'limit', limit_ms, 'points', points,
    'buckets', buckets, 'results', results_head, 'message', message)
redis.call('HDEL', live, 'closed', 'closes')
if timed then
    redis.call('HSET', live, 'closes', closes)
    redis.call('ZADD', closing, closes, quiz)
end
redis.call('SPUBLISH', channel, message)
return {'opened', now, closes, before, closed}
