-- answers-redis: each answer's points onto its quiz's board, exactly once, with one
-- change notice per quiz naming the newest answer applied (as_of).
--
-- KEYS and ARGV: apply_prelude.lua's layout; per quiz, KEYS holds its board, its
-- as_of, its removed players and their held points, its players' teams and its team
-- board, and each entry's value is its points: a team's members' points are its own. A removed player's points are held, not put on the board: they come back
-- with the player (see accept.lua's join).
-- Returns how many entries it applied.
--#include apply_prelude.lua
local refused = check_types({'zset', 'string', 'hash', 'hash', 'hash', 'zset'})
if refused then return refused end
local last = {}  -- per quiz, the newest answer applied
local applied = each_entry(function(q, id, player, points)
    if redis.call('HEXISTS', KEYS[6 * q - 1], player) == 1 then
        redis.call('HINCRBY', KEYS[6 * q], player, points)
    else
        redis.call('ZINCRBY', KEYS[6 * q - 3], points, player)
        local team = redis.call('HGET', KEYS[6 * q + 1], player)
        if team then redis.call('ZINCRBY', KEYS[6 * q + 2], points, team) end
    end
    if newer(id, last[q]) then last[q] = id end
end)
for q = 1, nq do
    if last[q] then
        local as_of = KEYS[6 * q - 2]
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
