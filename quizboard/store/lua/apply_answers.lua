-- answers-redis: each answer's points onto its quiz's board, exactly once, with one
-- change notice per quiz naming the newest answer applied (as_of).
--
-- KEYS and ARGV: apply_prelude.lua's layout; per quiz, KEYS holds its board and its
-- as_of, and each entry's value is its points.
-- Returns how many entries it applied.
--#include apply_prelude.lua
local refused = check_types({'zset', 'string'})
if refused then return refused end
local last = {}  -- per quiz, the newest answer applied
local applied = each_entry(function(q, id, player, points)
    redis.call('ZINCRBY', KEYS[1 + 2 * q], points, player)
    if newer(id, last[q]) then last[q] = id end
end)
for q = 1, nq do
    if last[q] then
        local as_of = KEYS[2 + 2 * q]
        local current = redis.call('GET', as_of)
        if newer(last[q], current) then
            redis.call('SET', as_of, last[q])
        else
            last[q] = current
        end
        redis.call('XADD', changes, '*', '{{FIELD}}', '{"{{ChangeEvent.quiz_id}}":' ..
            ARGV[4 + q] .. ',"{{ChangeEvent.as_of}}":"' .. last[q] .. '"' .. traced .. '}')
    end
end
return applied
