-- Keep a quiz's newest snapshot only, and publish it as it is stored.
--
-- KEYS (SnapshotKeys): last (the quiz's last snapshot)
-- ARGV (SnapshotArgs): version, snapshot (the message), channel
-- Returns 1 when it stored and published the snapshot, 0 when a newer one was there.
local last = unpack(KEYS, 1, 1)  -- SnapshotKeys
local version, snapshot, channel = unpack(ARGV, 1, 3)  -- SnapshotArgs
local current = redis.call('GET', last)
if current then
    local ok, held = pcall(cjson.decode, current)
    if ok and tonumber(held['version']) and tonumber(held['version']) >= tonumber(version) then
        return 0
    end
end
redis.call('SET', last, snapshot, 'KEEPTTL')
redis.call('SPUBLISH', channel, snapshot)
return 1
