-- Included by apply_answers.lua and apply_joins.lua: their common layout, and the
-- gate that applies an entry at most once.
--
-- KEYS (ApplyKeys): gated (the stream the gate acts on: the entries' stream, or the
--   dead letters for a re-drive), changes (lb-changes), then per quiz the keys whose
--   types check_types names.
-- ARGV: ApplyHead (group, mode: 'ack' or 'redrive', nq: the quiz count, trace: the
--   batch's traceparent or ''), then the nq quiz ids, then per entry an ApplyItem
--   (gate: the id the gate acts on, id: the event's entry id, q: its quiz's number,
--   player, value).
local gated, changes = unpack(KEYS, 1, 2)  -- ApplyKeys
local group, mode, nq, trace = unpack(ARGV, 1, 4)  -- ApplyHead
nq = tonumber(nq)
local first = 5 + nq  -- the first entry's arguments

local function newer(a, b)
    if not b then return true end
    local am, as = string.match(a, '^(%d+)-(%d+)$')
    local bm, bs = string.match(b, '^(%d+)-(%d+)$')
    if not bm then return true end
    am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
    return am > bm or (am == bm and as > bs)
end

-- Valkey does not roll a script back when a command fails half-way: refuse the whole
-- batch before any write if a key has another type.
local function check_types(types)
    for k = 3, #KEYS, #types do
        for offset, wanted in ipairs(types) do
            local kind = redis.call('TYPE', KEYS[k + offset - 1])['ok']
            if kind ~= 'none' and kind ~= wanted then
                return redis.error_reply('WRONGTYPE ' .. KEYS[k + offset - 1] .. ' is a ' .. kind)
            end
        end
    end
end

local traced = ''
if trace ~= '' then traced = ',"{{ChangeEvent.trace}}":"' .. trace .. '"' end

local function gate(id)
    if mode == 'ack' then
        return redis.call('XACK', gated, group, id) == 1
    end
    return redis.call('XDEL', gated, id) == 1
end

-- Call apply(q, id, player, value) for each entry whose gate opens; how many it applied.
local function each_entry(apply)
    local applied = 0
    for i = first, #ARGV, 5 do
        local gate_id, id, q, player, value = unpack(ARGV, i, i + 4)  -- ApplyItem
        if gate(gate_id) then
            apply(tonumber(q), id, player, value)
            applied = applied + 1
        end
    end
    return applied
end
