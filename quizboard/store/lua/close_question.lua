-- Close a live quiz's open question and publish its results: the host's reveal
-- (force '1'), or the closing sweep once its time is up (force '0').
--
-- KEYS (LiveKeys): live, tally, players, closing
-- ARGV (CloseArgs): channel, quiz, force ('1' or '0')
-- Returns the question it closed and when, or false.
--#include clock.lua
--#include close.lua
local live, tally, players, closing = unpack(KEYS, 1, 4)  -- LiveKeys
local channel, quiz, force = unpack(ARGV, 1, 3)  -- CloseArgs
local closed = close(live, tally, players, closing, channel, quiz, now_ms(), force == '1')
if not closed then return false end
return {redis.call('HGET', live, 'question'), closed}
