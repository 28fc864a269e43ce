-- Included by the live scripts (after clock.lua): close the open question of a quiz
-- (its time is up, or force) and publish its results on the quiz's channel; return
-- when it closed, or false when no question was open or due. A question with no
-- 'closes' has no timer: only force closes it.
local function close(live, tally, players, closing, channel, quiz, now, force)
    local s = redis.call('HMGET', live, 'phase', 'question', 'closes', 'buckets', 'results')
    if s[1] ~= 'question' then return false end
    local closes = tonumber(s[3])
    if not force and (not closes or now <= closes) then return false end
    local closed = closes and math.min(now, closes) or now
    redis.call('HSET', live, 'phase', 'results', 'closed', closed)
    redis.call('ZREM', closing, quiz)
    local q = s[2]
    local distribution
    if s[4] == 'text' then
        local n = redis.call('HMGET', tally, q .. ':correct', q .. ':wrong')
        distribution = '{"correct":' .. fmt(tonumber(n[1]) or 0) ..
            ',"wrong":' .. fmt(tonumber(n[2]) or 0) .. '}'
    else
        local counts = {}
        for c = 0, tonumber(string.sub(s[4], 9)) - 1 do
            counts[#counts + 1] = fmt(tonumber(redis.call('HGET', tally, q .. ':' .. c)) or 0)
        end
        distribution = '[' .. table.concat(counts, ',') .. ']'
    end
    local results = s[5] ..
        ',"{{QuestionResults.distribution}}":' .. distribution ..
        ',"{{QuestionResults.answered}}":' ..
            fmt(tonumber(redis.call('HGET', tally, q)) or 0) ..
        ',"{{QuestionResults.total_players}}":' ..
            fmt(redis.call('HLEN', players)) .. '}'
    redis.call('HSET', live, 'last_results', results)  -- for a gateway that missed it
    redis.call('SPUBLISH', channel, results)
    return closed
end
