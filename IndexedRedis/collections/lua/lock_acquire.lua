-- RedisLock.acquire: KEYS[1] the lock; KEYS[2] its fencing counter.
-- ARGV[2] the holder's token; ARGV[3] the lease in ms.
-- Returns the new fencing number when acquired, 0 when another holder has the lock.
if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return redis.call('INCR', KEYS[2])
end
return 0
