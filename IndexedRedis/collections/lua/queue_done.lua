-- Queue.task_done: KEYS[1] the count of unfinished items. Returns what is left; IRVALUE when
-- more items were marked done than were put.
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 0 then
  return redis.error_reply('IRVALUE task_done() called too many times')
end
local left = redis.call('DECR', KEYS[1])
touch(KEYS[1])
return left
