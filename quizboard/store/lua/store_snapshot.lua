-- Keep a quiz's newest snapshot only, and publish it as it is stored; a team quiz's
-- team board goes with it, stored and published right after it.
--
-- KEYS (SnapshotKeys): last (the quiz's last snapshot), team_last (its last team board)
-- ARGV (SnapshotArgs): version, snapshot (the message), channel, teams (the team
--   board's message, of the same version; empty for a quiz without teams)
-- Returns 1 when it stored and published the snapshot, 0 when a newer one was there.
local last, team_last = unpack(KEYS, 1, 2)  -- SnapshotKeys
local version, snapshot, channel, teams = unpack(ARGV, 1, 4)  -- SnapshotArgs
local current = redis.call('GET', last)
if current then
    local ok, held = pcall(cjson.decode, current)
    if ok and tonumber(held['version']) and tonumber(held['version']) >= tonumber(version) then
        return 0
    end
end
redis.call('SET', last, snapshot, 'KEEPTTL')
redis.call('SPUBLISH', channel, snapshot)
if teams ~= '' then
    redis.call('SET', team_last, teams, 'KEEPTTL')
    redis.call('SPUBLISH', channel, teams)
end
return 1
