-- RedisLock.extend: KEYS[1] the lock; ARGV[2] the holder's token; ARGV[3] milliseconds;
-- ARGV[4] 'add' (add to what is left of the lease) or 'set' (the lease ends ARGV[3] ms from now).
-- Returns 1 when extended, 0 when this holder does not own the lock.
if redis.call('GET', KEYS[1]) ~= ARGV[2] then
  return 0
end
local ms = tonumber(ARGV[3])
if ARGV[4] == 'add' then
  local left = redis.call('PTTL', KEYS[1])
  if left > 0 then ms = ms + left end
end
redis.call('PEXPIRE', KEYS[1], ms)
return 1
