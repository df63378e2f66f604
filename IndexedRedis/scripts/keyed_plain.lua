-- keyed.lua for a model without UNIQUE_FIELDS or EXPIRE, sent on its own (no lib.lua in front):
-- a get or a one-set count pays for a generation check and its command, nothing more.
--
-- KEYS[1]  the key; KEYS[2] the generation pointer
-- ARGV[1]  the command; ARGV[2..n-1] its other arguments; ARGV[n] the planned generation
local genNow = redis.call('GET', KEYS[#KEYS]) or '0'
if ARGV[#ARGV] ~= '*' and genNow ~= ARGV[#ARGV] then
  return redis.error_reply('IRSTALE ' .. genNow)
end
return redis.call(ARGV[1], KEYS[1], unpack(ARGV, 2, #ARGV - 1))
