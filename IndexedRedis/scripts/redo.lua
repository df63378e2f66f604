-- Log the pks a write is about to touch while a migration runs (see migrate.py), in the same
-- MULTI/EXEC as the write, so that the pks are logged exactly when the write runs. Sent with
-- EVAL (its source, without lib.lua), never EVALSHA: in a MULTI a NOSCRIPT error of this call
-- would not stop the write beside it, which would then run unlogged.
--
-- KEYS[1]  the redo log of the migration (_ir_|KEY:genM:redo)
-- KEYS[2]  the generation pointer
-- ARGV     the pks (may be none), then the generation the write planned for
-- Replies: the number of pks given, or the IRSTALE error the write beside it also gives.
local genNow = redis.call('GET', KEYS[2]) or '0'
if genNow ~= ARGV[#ARGV] then
  return redis.error_reply('IRSTALE ' .. genNow)
end
local n = #ARGV - 1
for i = 1, n, 1000 do
  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, n)))
end
return n
