-- Run one read command on one key of the current generation.
--
-- KEYS[1]  the key
-- ARGV[1]  the command (HGETALL, EXISTS, SCARD, SMEMBERS, HMGET, ...); ARGV[2..] its other arguments
-- The generation pointer and the planned generation come last in KEYS and ARGV.
local stale = staleGeneration()
if stale then
  return stale
end
-- EXPIRE (ext.lua): a read of one object's data key names its pk in the extension arguments; an
-- object past its deadline reads as absent.
if EXT and EXT.expiry and EXT_ARGS[EXT.dynArg] and isDue(EXT_ARGS[EXT.dynArg]) then
  local cmd = string.upper(ARGV[1])
  if cmd == 'EXISTS' then return 0 end
  if cmd == 'HMGET' then
    local out = {}
    for i = 2, #ARGV - 1 do out[i - 1] = false end
    return out
  end
  if cmd == 'HGET' then return false end
  return {}
end
-- Membership of pks in the set of all pks (a check that linked objects exist): those past their
-- deadline are not members.
if EXT and EXT.expiry and KEYS[1] == EXT.keysKey and string.upper(ARGV[1]) == 'SMISMEMBER' then
  local flags = redis.call('SMISMEMBER', KEYS[1], unpack(ARGV, 2, #ARGV - 1))
  local due, n = dueNow()
  if n > 0 then
    for i = 1, #flags do
      if due[ARGV[i + 1]] then flags[i] = 0 end
    end
  end
  return flags
end
return redis.call(ARGV[1], KEYS[1], unpack(ARGV, 2, #ARGV - 1))
