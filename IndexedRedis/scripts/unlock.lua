-- Give back a model's lock (see lock.lua), or take it from a holder whose lease ran out.
--
-- KEYS[1]  the lock's lease (_ir_|KEY:lock)
-- ARGV[1]  the locked value of the generation pointer ('<gen>L<token>')
-- ARGV[2]  '1': only if the lease is gone (a waiter freeing a lock whose holder died); '0': the holder
-- The generation pointer and the planned generation ('*') come last in KEYS and ARGV.
-- Returns 1 when the pointer was set back to '<gen>', 0 when it holds something else (a reset
-- switched generations meanwhile, or another lock) or the lease still lives.
local ptr = KEYS[#KEYS]
if redis.call('GET', ptr) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local gen = string.match(ARGV[1], '^([%dM]+)L')  -- '<gen>' or '<gen>M<target>' (a migration running)
redis.call('SET', ptr, gen)
redis.call('DEL', KEYS[1])
return 1
