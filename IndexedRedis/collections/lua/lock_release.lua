-- RedisLock.release: KEYS[1] the lock; ARGV[2] the holder's token. Deletes the lock only when the
-- token is the one it holds. Returns 1 when released, 0 when this holder did not own it.
if redis.call('GET', KEYS[1]) == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
