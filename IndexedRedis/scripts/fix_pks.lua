-- Bring the set of all pks in line with the data hashes that exist.
--
-- KEYS[1]  set of all pks of the model (_ir_|KEY:keys)
-- KEYS[2]  write counter of the generation (_ir_|KEY:ver), bumped when anything changed
-- KEYS[3 .. 2+n]  the data keys of the n pks given
-- ARGV[1]  'rem': remove the pks whose data hash does not exist;
--          'add': add the pks whose data hash exists
-- ARGV[2 .. 1+n]  the pks, in the order of their data keys
-- Returns how many pks were added or removed.
-- The generation pointer and the planned generation come last in KEYS and ARGV.
-- Generation check (see keys.py): the last key is the generation pointer, the last argument the
-- generation the client planned for ('*': any, used while a reset builds a new generation).
local stale = staleGeneration()
if stale then
  return stale
end
local n = 0
for i = 3, #KEYS - 1 do
  local pk = ARGV[i - 1]
  local exists = redis.call('EXISTS', KEYS[i]) == 1
  if ARGV[1] == 'rem' and not exists then
    n = n + redis.call('SREM', KEYS[1], pk)
  elseif ARGV[1] == 'add' and exists then
    n = n + redis.call('SADD', KEYS[1], pk)
  end
end
if n > 0 then
  bumpWriteCounter(KEYS[2])
end
return n
