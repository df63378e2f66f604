-- Remove and return the item at a Python index (pop(i), del lst[i]).
-- KEYS[1] the list; ARGV[2] the index; ARGV[3] the message when the list is empty; ARGV[4] when
-- the index is out of range (both IRINDEX errors).
local key = KEYS[1]
local n = redis.call('LLEN', key)
if n == 0 then
  return redis.error_reply('IRINDEX ' .. ARGV[3])
end
local i = tonumber(ARGV[2])
if i < 0 then i = i + n end
if i < 0 or i >= n then
  return redis.error_reply('IRINDEX ' .. ARGV[4])
end
local v
if i == 0 then
  v = redis.call('LPOP', key)
elseif i == n - 1 then
  v = redis.call('RPOP', key)
else
  v = redis.call('LINDEX', key, i)
  local tail = redis.call('LRANGE', key, i + 1, -1)
  redis.call('LTRIM', key, 0, i - 1)
  pushRange(key, tail, 1, #tail)
end
touch(key)
return v
