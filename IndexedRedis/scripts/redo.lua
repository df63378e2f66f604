-- Log the pks a write is about to touch while a migration runs (see migrate.py), in the same
-- MULTI/EXEC as the write, so that the pks are logged exactly when the write runs.
--
-- KEYS[1]  the redo log of the migration (_ir_|KEY:genM:redo)
-- ARGV     the pks (may be none)
-- The generation pointer and the planned generation come last in KEYS and ARGV (lib.lua).
-- Replies: the number of pks given, or the IRSTALE error the write beside it also gives.
local stale = staleGeneration()
if stale then
  return stale
end
local n = #ARGV - 1
for i = 1, n, 1000 do
  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, n)))
end
return n
