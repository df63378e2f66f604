-- deque.rotate(k): KEYS[1] the list; ARGV[2] k (right by k; left when negative). Returns the length.
local key = KEYS[1]
local n = redis.call('LLEN', key)
if n < 2 then
  return n
end
local k = tonumber(ARGV[2]) % n
if k == 0 then
  return n
end
local tail = redis.call('LRANGE', key, n - k, -1)
redis.call('LTRIM', key, 0, n - k - 1)
local rev = {}
for i = #tail, 1, -1 do rev[#rev + 1] = tail[i] end
for i = 1, #rev, 1000 do
  redis.call('LPUSH', key, unpack(rev, i, math.min(i + 999, #rev)))
end
touch(key)
return n
