-- joins-redis: a new player enters its quiz's board at 0, once, with one change
-- notice per quiz.
--
-- KEYS and ARGV: apply_prelude.lua's layout; per quiz, KEYS holds its board, and each
-- entry's value is ''.
-- Returns how many entries it applied.
--#include apply_prelude.lua
local refused = check_types({'zset'})
if refused then return refused end
local touched = {}
local applied = 0
for i = first, #ARGV, 5 do
    local gate_id, id, q, player, value = unpack(ARGV, i, i + 4)  -- ApplyItem
    q = tonumber(q)
    if gate(gate_id) then
        redis.call('ZADD', KEYS[2 + q], 'NX', 0, player)
        touched[q] = true
        applied = applied + 1
    end
end
for q = 1, nq do
    if touched[q] then
        redis.call('XADD', changes, '*', '{{FIELD}}',
            '{"{{ChangeEvent.quiz_id}}":' .. ARGV[4 + q] .. traced .. '}')
    end
end
return applied
