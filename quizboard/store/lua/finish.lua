-- End a live quiz: close its open question, publish quiz_finished, and ask the
-- leaderboard workers for the final board. The change notice makes them publish a
-- snapshot after the quiz_finished message; the final board is the first whose
-- as_of reaches the last answer, which the message names.
--
-- KEYS (FinishKeys): live, tally, players, closing, changes (the lb-changes stream)
-- ARGV (FinishArgs): channel, quiz, finished_head (the quiz_finished message, to
--   which the script adds the last answer's id), notice (a change notice)
-- Returns {'finished'} when it had ended before, else
--   {'finished_now', now, the question open before, when that closed}.
--#include clock.lua
--#include close.lua
--#include previous.lua
local live, tally, players, closing, changes = unpack(KEYS, 1, 5)  -- FinishKeys
local channel, quiz, finished_head, notice = unpack(ARGV, 1, 4)  -- FinishArgs
if redis.call('HGET', live, 'phase') == 'finished' then return {'finished'} end
local now = now_ms()
close(live, tally, players, closing, channel, quiz, now, true)
local before, closed = previous(live)
local message = finished_head .. ',"{{QuizFinished.final_as_of}}":"' ..
    (redis.call('HGET', live, 'last_answer') or '') .. '"}'
redis.call('HSET', live, 'phase', 'finished', 'finished', now, 'finished_message', message)
redis.call('SPUBLISH', channel, message)
redis.call('XADD', changes, '*', '{{FIELD}}', notice)
return {'finished_now', now, before, closed}
