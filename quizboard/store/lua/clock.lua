-- Included by the live scripts: the time on Valkey's clock in ms (one clock per
-- partition decides every live time), and fmt for integers in messages (Lua's
-- tostring would write large ones with an exponent).
local function now_ms()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fmt(n) return string.format('%d', n) end
