-- The host removes a player: kick (it may come back, if an app's user) or ban (never).
-- Off the board and out of the player count at once, its points held (answers applied
-- while it is away add to them), a change notice for a board without it, and a
-- message on the quiz's channel, for the gateway to close its sockets. Removing again
-- changes nothing, but a ban after a kick makes it a ban.
--
-- held keeps each removed player's points under its id, and its name under its id and a
-- newline (no id holds one: they are uuids or an app's user ids, checked at the join).
--
-- Its name is free for another player: names (see accept.lua) forgets it.
--
-- A team quiz's team loses the player and its points (the player keeps its team, for
-- when it comes back).
--
-- KEYS (KickKeys): players, board, removed, held, changes (lb-changes), names, team_of,
--   team_board, team_sizes
-- ARGV (KickArgs): player, reason ('kick' or 'ban'), channel, message (PlayerRemoved),
--   change (a ChangeEvent for the quiz)
-- Returns the player's removal now ('kick' or 'ban'), or '#unknown' for no such player.
local players, board, removed, held, changes, names, team_of, team_board, team_sizes =
    unpack(KEYS, 1, 9)  -- KickKeys
local player, reason, channel, message, change = unpack(ARGV, 1, 5)  -- KickArgs
local had = redis.call('HGET', removed, player)
if had == 'ban' or had == reason then return had end
if not had then
    local score = redis.call('ZSCORE', board, player)
    if not score and redis.call('HEXISTS', players, player) == 0 then return '#unknown' end
    redis.call('ZREM', board, player)
    redis.call('HSET', held, player .. '\n', redis.call('HGET', players, player) or '')
    redis.call('HDEL', players, player)
    local key = redis.call('HGET', names, player .. '\n')
    if key then redis.call('HDEL', names, key, player .. '\n') end
    redis.call('HINCRBY', held, player, tonumber(score) or 0)
    local team = redis.call('HGET', team_of, player)
    if team then
        redis.call('ZINCRBY', team_board, -(tonumber(score) or 0), team)
        redis.call('ZINCRBY', team_sizes, -1, string.format('%02d', tonumber(team)))
    end
    redis.call('XADD', changes, '*', '{{FIELD}}', change)
end
redis.call('HSET', removed, player, reason)
redis.call('SPUBLISH', channel, message)
return reason
