-- joins-redis: a new player enters its quiz's board at 0, once, with one change
-- notice per quiz.
--
-- KEYS and ARGV: apply_prelude.lua's layout; per quiz, KEYS holds its board and its
-- removed players (who stay off it), and each entry's value is ''.
-- Returns how many entries it applied.
--#include apply_prelude.lua
local refused = check_types({'zset', 'hash'})
if refused then return refused end
local touched = {}  -- the quizzes a player joined
local applied = each_entry(function(q, _, player)
    if redis.call('HEXISTS', KEYS[2 + 2 * q], player) == 0 then
        redis.call('ZADD', KEYS[1 + 2 * q], 'NX', 0, player)
        touched[q] = true
    end
end)
for q = 1, nq do
    if touched[q] then
        redis.call('XADD', changes, '*', '{{FIELD}}',
            '{"{{ChangeEvent.quiz_id}}":' .. ARGV[4 + q] .. traced .. '}')
    end
end
return applied
