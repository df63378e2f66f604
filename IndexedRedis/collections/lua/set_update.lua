-- In-place set algebra that no single command does.
-- KEYS[1] the set; KEYS[2..] other sets.
-- ARGV[2] mode:
--   'keep'    intersection_update: keep the members that are in every set KEYS[2..] and, when
--             ARGV[3] is '1', among the members ARGV[4..] too
--   'xor'     symmetric_difference_update with the members ARGV[4..]
--   'xorkey'  symmetric_difference_update with the set KEYS[2]
-- Returns the new size.
local key = KEYS[1]
local mode = ARGV[2]
if mode == 'keep' then
  local want = nil
  if ARGV[3] == '1' then
    want = {}
    for i = 4, #ARGV do want[ARGV[i]] = true end
  end
  local drop = {}
  for _, m in ipairs(redis.call('SMEMBERS', key)) do
    local keep = (want == nil) or want[m]
    local k = 2
    while keep and k <= #KEYS do
      keep = redis.call('SISMEMBER', KEYS[k], m) == 1
      k = k + 1
    end
    if not keep then drop[#drop + 1] = m end
  end
  for i = 1, #drop, 1000 do
    redis.call('SREM', key, unpack(drop, i, math.min(i + 999, #drop)))
  end
else
  local members
  if mode == 'xorkey' then
    members = redis.call('SMEMBERS', KEYS[2])
  else
    members = {}
    for i = 4, #ARGV do members[#members + 1] = ARGV[i] end
  end
  local seen = {}
  for _, m in ipairs(members) do
    if not seen[m] then
      seen[m] = true
      if redis.call('SISMEMBER', key, m) == 1 then
        redis.call('SREM', key, m)
      else
        redis.call('SADD', key, m)
      end
    end
  end
end
touch(key)
return redis.call('SCARD', key)
