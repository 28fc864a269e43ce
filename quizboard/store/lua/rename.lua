-- The host renames a player: the new name, unless another player has it (compared by
-- its key, as accept.lua's join does), then a join event that says renamed, for
-- PostgreSQL's record of the player.
--
-- KEYS (RenameKeys): players, names, joins (the partition's stream)
-- ARGV (RenameArgs): player, name, name_key, event (a JoinEvent, renamed)
-- Returns the event's entry id, '#unknown' for no such player (or one removed), or
-- '#name_taken'.
local players, names, joins = unpack(KEYS, 1, 3)  -- RenameKeys
local player, name, name_key, event = unpack(ARGV, 1, 4)  -- RenameArgs
if redis.call('HEXISTS', players, player) == 0 then return '#unknown' end
local owner = redis.call('HGET', names, name_key)
if owner and owner ~= player then return '#name_taken' end
local before = redis.call('HGET', names, player .. '\n')
if before then redis.call('HDEL', names, before) end
redis.call('HSET', names, name_key, player, player .. '\n', name_key)
redis.call('HSET', players, player, name)
return redis.call('XADD', joins, '*', '{{FIELD}}', event)
