-- Bump a generation's write counter (see lib.lua), for writes sent as plain commands.
--
-- KEYS[1]  the write counter (_ir_|KEY:ver or _ir_|KEY:genN:ver)
-- The generation pointer and the planned generation come last in KEYS and ARGV.
local stale = staleGeneration()
if stale then
  return stale
end
bumpWriteCounter(KEYS[1])
return redis.call('GET', KEYS[1])
