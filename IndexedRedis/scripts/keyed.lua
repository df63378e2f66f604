-- Run one read command on one key of the current generation.
--
-- KEYS[1]  the key
-- ARGV[1]  the command (HGETALL, EXISTS, SCARD, SMEMBERS, HMGET, ...); ARGV[2..] its other arguments
-- The generation pointer and the planned generation come last in KEYS and ARGV.
local stale = staleGeneration()
if stale then
  return stale
end
return redis.call(ARGV[1], KEYS[1], unpack(ARGV, 2, #ARGV - 1))
