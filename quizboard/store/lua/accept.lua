-- The accepting script: one call takes a batch of one partition's joins and answers.
-- Each request is first counted against the rate limits (per player, and per client
-- address and quiz), then checked, marked and XADDed, with no window in which two
-- requests can both pass the check.
--
-- KEYS (AcceptKeys): joins, answers (the partition's streams), then every other key
--   the requests use, which they name by number (an index into KEYS; 0 for none).
-- ARGV: AcceptHead (player_limit, address_limit, window), then per request an
--   AcceptItem (kind, hash, field, event, value, player_key, address_key, removed),
--   and after an item of kind 'j' a JoinItem, of kind 'l' a LiveItem. removed is the
--   quiz's hash of the players its host removed: they are refused ('#removed').
--   'j', a join: players[field: the player] = value (its display name), unless the
--     player joined before: then '=' and no event (an app's user joining again). A
--     banned player is refused ('#banned'); so is anyone while the room is locked
--     ('#locked'), and a live quiz that takes no latecomers refuses joins once its
--     first question has opened ('#late'), and a name another player has, compared
--     by its key ('#name_taken'). A kicked app user who joins again comes back with
--     the points it had: its event says back.
--   'a', an answer: answered[field: player:question] = its entry id; value is when
--     the marks expire (ms).
--   'l', a live answer: as 'a', timed on Valkey's clock; its event is a head (see
--     LiveAnswerHead) that the script completes with the points, the streak and the
--     time. The answer that completes the count of joined players closes the
--     question and publishes its results.
-- Returns per request: the new entry id, '' for an answer already given, '!' and the
--   ms until the limit resets; for a join, the entry id or '=' (joined before), then
--   in a team quiz ' ' and the player's team; for a live answer 'id points streak',
--   '#closed' or '#not_open'; '#...' for a refusal (store/accept.py's REFUSALS).
--#include clock.lua
--#include close.lua
local joins, answers = unpack(KEYS, 1, 2)  -- AcceptKeys
local player_limit, address_limit, window = unpack(ARGV, 1, 3)  -- AcceptHead
player_limit, address_limit = tonumber(player_limit), tonumber(address_limit)

local function over(k, limit)
    if k == 0 or limit <= 0 then return false end
    local n = redis.call('INCR', KEYS[k])
    if n == 1 then redis.call('PEXPIRE', KEYS[k], window) end
    return n > limit
end

-- Speed points, the streak bonus and the penalty: core/scoring.py's live_points is the
-- model, held to this by a test on a real Valkey. share is the part of the question's
-- points the answer earns: 1 when right, 0 when wrong, between for a partly right one.
-- A limit of 0 is no timer: full speed at any time.
local function live_points(share, streak, now, opened, limit, points, penalty)
    if share <= 0 then return -penalty end
    local speed = 1
    if limit > 0 then
        speed = 1 - (math.min(math.max(now - opened, 0), limit) / limit) / 2
    end
    local earned = math.floor(speed * points * share + 0.5)
    if share < 1 then return earned end
    return earned + math.min({{STREAK_STEP}} * (streak - 1), {{MAX_STREAK_BONUS}})
end

local function live_answer(i, marks, field, head, keep_until)
    local live, tally, streaks, players, closing, position, share, penalty, bucket, player,
        quiz, channel = unpack(ARGV, i + 8, i + 19)  -- LiveItem
    live, tally, streaks = KEYS[tonumber(live)], KEYS[tonumber(tally)], KEYS[tonumber(streaks)]
    players, closing = KEYS[tonumber(players)], KEYS[tonumber(closing)]
    position, share, penalty = tonumber(position), tonumber(share), tonumber(penalty)
    local correct = share >= 1
    local s = redis.call('HMGET', live, 'phase', 'question', 'position', 'opened', 'closes',
        'limit', 'points')
    local current = tonumber(s[3]) or 0
    if s[1] == 'finished' or position < current then return '#closed' end
    if s[1] ~= 'question' and s[1] ~= 'results' or position > current then
        return '#not_open'
    end
    local now = now_ms()
    if s[1] == 'results' or s[5] and now > tonumber(s[5]) then return '#closed' end
    if redis.call('HEXISTS', marks, field) == 1 then return '' end
    local streak, last = 0, -1
    local held = redis.call('HGET', streaks, player)
    if held then
        local a, b = string.match(held, '^(%d+):(%-?%d+)$')
        streak, last = tonumber(a), tonumber(b)
    end
    if correct then
        if last == position - 1 then streak = streak + 1 else streak = 1 end
        last = position
    else
        streak = 0
    end
    local points = live_points(share, streak, now, tonumber(s[4]), tonumber(s[6]),
        tonumber(s[7]), penalty)
    redis.call('HSET', streaks, player, fmt(streak) .. ':' .. fmt(last))
    local answered = redis.call('HINCRBY', tally, s[2], 1)
    for slot in string.gmatch(bucket, '[^,]+') do  -- its slots, or correct / wrong
        redis.call('HINCRBY', tally, s[2] .. ':' .. slot, 1)
    end
    local id = redis.call('XADD', answers, '*', '{{FIELD}}', head ..
        ',"{{AnswerEvent.points}}":' .. fmt(points) ..
        ',"{{AnswerEvent.streak}}":' .. fmt(streak) ..
        ',"{{AnswerEvent.answered_at}}":' .. fmt(now) .. '}')
    redis.call('HSET', marks, field, id)
    redis.call('PEXPIREAT', marks, keep_until)
    redis.call('HSET', live, 'last_answer', id)  -- the final board covers up to here
    if answered >= redis.call('HLEN', players) then
        close(live, tally, players, closing, channel, quiz, now, true)
    end
    return id .. ' ' .. fmt(points) .. ' ' .. fmt(streak)
end

-- A team in team_sizes, a sorted set of teams by their members: its index in two
-- digits, so that the first of equals is the first team (members order by their text).
local function team_member(team)
    return string.format('%02d', tonumber(team))
end

local function join(i, players, player, event, name, removed)
    local room, held, board, live, late_join, names, name_key, team_of, team_board,
        team_sizes, team_count, team_choice = unpack(ARGV, i + 8, i + 19)  -- JoinItem
    room, held, board, live = KEYS[tonumber(room)], KEYS[tonumber(held)],
        KEYS[tonumber(board)], KEYS[tonumber(live)]
    names, team_of = KEYS[tonumber(names)], KEYS[tonumber(team_of)]
    team_board, team_sizes = KEYS[tonumber(team_board)], KEYS[tonumber(team_sizes)]
    local gone = redis.call('HGET', removed, player)
    if gone == 'ban' then return '#banned' end
    if redis.call('HEXISTS', players, player) == 1 then  -- '=', and a team quiz's team
        local team = tonumber(team_count) > 0 and redis.call('HGET', team_of, player)
        return team and '= ' .. team or '='
    end
    if redis.call('HGET', room, 'locked') == '1' then return '#locked' end
    if late_join == '0' and (tonumber(redis.call('HGET', live, 'position')) or 0) > 0 then
        return '#late'
    end
    local owner = redis.call('HGET', names, name_key)
    if owner and owner ~= player then return '#name_taken' end
    redis.call('HSET', names, name_key, player, player .. '\n', name_key)
    redis.call('HSET', players, player, name)
    local points, said, team = 0, '', nil
    if gone == 'kick' then  -- back, with what it had
        points = tonumber(redis.call('HGET', held, player)) or 0
        redis.call('HDEL', removed, player)
        redis.call('HDEL', held, player, player .. '\n')
        redis.call('ZINCRBY', board, points, player)
        said = ',"{{JoinEvent.back}}":true'
    end
    local teams = tonumber(team_count)
    if teams > 0 then  -- its team (kept from before a kick), the one it chose, or one
        local kept = gone == 'kick' and redis.call('HGET', team_of, player)
        team = kept or team_choice
        if redis.call('ZCARD', team_sizes) < teams then  -- the first join: every team, empty
            local empty = {}
            for t = 0, teams - 1 do
                empty[2 * t + 1], empty[2 * t + 2] = 0, team_member(t)
            end
            redis.call('ZADD', team_sizes, 'NX', unpack(empty))
        end
        if tonumber(team) < 0 then  -- the team with the fewest members, the first of them
            team = tonumber(redis.call('ZRANGE', team_sizes, 0, 0)[1])
        end
        if not kept then redis.call('HSET', team_of, player, team) end
        redis.call('ZINCRBY', team_sizes, 1, team_member(team))
        if points ~= 0 then redis.call('ZINCRBY', team_board, points, team) end
        said = said .. ',"{{JoinEvent.team}}":' .. team
    end
    if said ~= '' then event = string.sub(event, 1, -2) .. said .. '}' end
    local id = redis.call('XADD', joins, '*', '{{FIELD}}', event)
    return team and id .. ' ' .. team or id
end

local STEP = {j = 20, a = 8, l = 20}  -- an item and what follows it
local results = {}
local i = 4
while i <= #ARGV do
    local kind, hash, field, event, value, player_key, address_key, removed =
        unpack(ARGV, i, i + 7)  -- AcceptItem
    hash, player_key, address_key = tonumber(hash), tonumber(player_key), tonumber(address_key)
    removed = KEYS[tonumber(removed)]
    if over(address_key, address_limit) then
        results[#results + 1] = '!' .. redis.call('PTTL', KEYS[address_key])
    elseif over(player_key, player_limit) then
        results[#results + 1] = '!' .. redis.call('PTTL', KEYS[player_key])
    elseif kind == 'j' then
        results[#results + 1] = join(i, KEYS[hash], field, event, value, removed)
    elseif redis.call('HEXISTS', removed, string.match(field, '^(.*):%d+$')) == 1 then
        results[#results + 1] = '#removed'
    elseif kind == 'l' then
        results[#results + 1] = live_answer(i, KEYS[hash], field, event, value)
    elseif redis.call('HEXISTS', KEYS[hash], field) == 1 then
        results[#results + 1] = ''
    else
        local id = redis.call('XADD', answers, '*', '{{FIELD}}', event)
        redis.call('HSET', KEYS[hash], field, id)
        redis.call('PEXPIREAT', KEYS[hash], value)
        results[#results + 1] = id
    end
    i = i + STEP[kind]
end
return results
