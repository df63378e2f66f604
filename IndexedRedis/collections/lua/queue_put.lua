-- Queue.put: KEYS[1] the list; KEYS[2] the count of unfinished items.
-- ARGV[2] maxsize (0: unbounded); ARGV[3] the value. Returns 1 when put, 0 when the queue is full.
local maxsize = tonumber(ARGV[2])
if maxsize > 0 and redis.call('LLEN', KEYS[1]) >= maxsize then
  return 0
end
redis.call('RPUSH', KEYS[1], ARGV[3])
redis.call('INCR', KEYS[2])
touch(KEYS[1])
touch(KEYS[2])
return 1
