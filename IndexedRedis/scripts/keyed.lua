-- Run one read command on one key of the current generation.
--
-- KEYS[1]  the key
-- ARGV[1]  the command (HGETALL, EXISTS, SCARD, SMEMBERS, HMGET, ...); ARGV[2..] its other arguments
-- The generation pointer and the planned generation come last in KEYS and ARGV.
local genNow = redis.call('GET', KEYS[#KEYS]) or '0'
if ARGV[#ARGV] ~= '*' and genNow ~= ARGV[#ARGV] then
  return redis.error_reply('IRSTALE ' .. genNow)
end
return redis.call(ARGV[1], KEYS[1], unpack(ARGV, 2, #ARGV - 1))
