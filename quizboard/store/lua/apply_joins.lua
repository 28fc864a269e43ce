-- joins-redis: a new player enters its quiz's board at 0, once, with one change
-- notice per quiz.
--
-- KEYS and ARGV: apply_prelude.lua's layout; per quiz, KEYS holds its board, and each
-- entry's value is ''.
-- Returns how many entries it applied.
--#include apply_prelude.lua
local refused = check_types({'zset'})
if refused then return refused end
local touched = {}  -- the quizzes a player joined
local applied = each_entry(function(q, _, player)
    redis.call('ZADD', KEYS[2 + q], 'NX', 0, player)
    touched[q] = true
end)
for q = 1, nq do
    if touched[q] then
        redis.call('XADD', changes, '*', '{{FIELD}}',
            '{"{{ChangeEvent.quiz_id}}":' .. ARGV[4 + q] .. traced .. '}')
    end
end
return applied
