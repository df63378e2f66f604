-- Read one object for the client cache (readcache.py): one round trip, nothing sent back when the
-- cached copy is still right.
--
-- KEYS[1]  the write counter of the generation (_ir_|KEY:ver)
-- KEYS[2]  the object's data key
-- ARGV[1]  the counter the cached copy was read at ('' for none)
-- Reply: {'unchanged'} while the counter has that value (every write script bumps it in the same
-- step as its writes), else {counter, HGETALL of the object} (an empty list: no such object).
-- A missing counter is created first, from the server clock (see bumpWriteCounter).
-- EXPIRE (ext.lua): the extension arguments name the pk; an object past its deadline reads as
-- absent, whatever the counter (no write marks the moment a deadline passes).
-- The generation pointer and the planned generation come last in KEYS and ARGV.
local stale = staleGeneration()
if stale then
  return stale
end
local counter = currentCounter(KEYS[1])
if EXT and EXT.expiry and EXT_ARGS[EXT.dynArg] and isDue(EXT_ARGS[EXT.dynArg]) then
  return {counter, {}}
end
if counter == ARGV[1] then
  return {'unchanged'}
end
return {counter, redis.call('HGETALL', KEYS[2])}
