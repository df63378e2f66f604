-- Counter |= other ('max') and Counter &= other ('min') on a sorted set, keeping positive counts.
-- KEYS[1] the sorted set; ARGV[2] mode; ARGV[3..] pairs: element, count.
local key = KEYS[1]
local other = {}
local order = {}
for i = 3, #ARGV, 2 do
  if other[ARGV[i]] == nil then order[#order + 1] = ARGV[i] end
  other[ARGV[i]] = ARGV[i + 1]
end
if ARGV[2] == 'max' then
  for _, m in ipairs(order) do
    local cur = redis.call('ZSCORE', key, m)
    if not cur or tonumber(other[m]) > tonumber(cur) then
      redis.call('ZADD', key, other[m], m)
    end
  end
else
  local cur = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for i = 1, #cur, 2 do
    local oc = other[cur[i]] or '0'
    if tonumber(oc) < tonumber(cur[i + 1]) then
      redis.call('ZADD', key, oc, cur[i])
    end
  end
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', 0)
touch(key)
return redis.call('ZCARD', key)
