-- list.insert(i, x): KEYS[1] the list; ARGV[2] i (clamped as Python does), ARGV[3] the value,
-- ARGV[4] maxlen (0: none; a full bounded deque answers IRINDEX, as deque.insert raises).
-- Returns the new length.
local key = KEYS[1]
local n = redis.call('LLEN', key)
local maxlen = tonumber(ARGV[4])
if maxlen > 0 and n >= maxlen then
  return redis.error_reply('IRINDEX deque already at its maximum size')
end
local i = tonumber(ARGV[2])
if i < 0 then
  i = i + n
  if i < 0 then i = 0 end
elseif i > n then
  i = n
end
if i == 0 then
  redis.call('LPUSH', key, ARGV[3])
elseif i == n then
  redis.call('RPUSH', key, ARGV[3])
else
  local tail = redis.call('LRANGE', key, i, -1)
  redis.call('LTRIM', key, 0, i - 1)
  redis.call('RPUSH', key, ARGV[3])
  pushRange(key, tail, 1, #tail)
end
touch(key)
return n + 1
