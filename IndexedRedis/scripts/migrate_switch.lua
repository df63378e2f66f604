-- Make the generation a migration built current, in one O(1) step (see migrate.py). Runs
-- holding the model's lock, with the redo log drained: no write reached the old generation since.
--
-- KEYS[1]  the new generation's building marker (_ir_|KEY:genM:building)
-- KEYS[2]  the set of generations that may hold keys (_ir_|KEY:gens): the replaced one joins it
-- KEYS[3]  the lock's lease (_ir_|KEY:lock), given back with the switch
-- KEYS[4]  the new generation's redo log (_ir_|KEY:genM:redo), empty by now: deleted
-- ARGV[1]  the new generation M, ARGV[2] the old one
-- The generation pointer and the planned (locked) value come last in KEYS and ARGV (lib.lua).
-- Replies: 1; an IRSTALE error when the pointer no longer holds this migration's lock; an IRGONE
-- error when the building marker is gone (the build outlived its heartbeat).
local stale = staleGeneration()
if stale then
  return stale
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('IRGONE the generation being built was removed before it could be switched in')
end
redis.call('SET', KEYS[#KEYS], ARGV[1])
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
