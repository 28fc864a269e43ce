-- Included by next_question.lua and finish.lua: the question that was open before
-- this move, and when it closed (-1: never).
local function previous(live)
    local p = redis.call('HMGET', live, 'question', 'closed')
    return p[1] or '', tonumber(p[2]) or -1
end
