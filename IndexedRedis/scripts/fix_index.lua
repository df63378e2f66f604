-- Add or remove one index entry, only if the object still stores the value verify() saw.
--
-- KEYS[1]  the index key
-- KEYS[2]  the object's data key
-- KEYS[3]  write counter of the generation (_ir_|KEY:ver), bumped when the entry is fixed
-- KEYS[4]  the generation's index key registry (_ir_|KEY:idxkeys), kept when it exists
-- ARGV[1]  'add' or 'rem'
-- ARGV[2]  pk
-- ARGV[3]  field name
-- ARGV[4]  'v' .. stored value seen by verify, or 'x' when the field (or the object) was absent
-- Returns 1 when the entry was fixed, 0 when nothing was done (the object changed meanwhile).
-- The generation pointer and the planned generation come last in KEYS and ARGV.
-- Generation check (see keys.py): the last key is the generation pointer, the last argument the
-- generation the client planned for ('*': any, used while a reset builds a new generation).
local stale = staleGeneration()
if stale then
  return stale
end
if not holdsExpected(KEYS[2], ARGV[3], ARGV[4]) then
  return 0
end
local n
if ARGV[1] == 'add' then
  n = redis.call('SADD', KEYS[1], ARGV[2])
else
  n = redis.call('SREM', KEYS[1], ARGV[2])
end
if n > 0 then
  bumpWriteCounter(KEYS[3])
  updateRegistry(KEYS[4], {[KEYS[1]] = true})
end
return n
