-- Read or change the deadline of one object (EXPIRE; ext.lua).
--
-- KEYS[1]  the object's data key
-- ARGV[1]  pk   ARGV[2] action: 'get', 'set' (ARGV[3]: milliseconds from now) or 'persist'
-- The model's extension block, the generation pointer and the planned generation come last.
-- Replies: for 'get', the milliseconds left, -1 when it has no deadline, -2 when it does not exist
-- (deleted, or past its deadline: then it is purged here); for 'set' / 'persist', 1 when the
-- object exists (its deadline was set or removed), 0 when it does not.
local stale = staleGeneration()
if stale then
  return stale
end
local dataKey, pk, action = KEYS[1], ARGV[1], ARGV[2]
if redis.call('EXISTS', dataKey) == 0 then
  return action == 'get' and -2 or 0
end
if isDue(pk) then
  purgeOne(pk)
  return action == 'get' and -2 or 0
end
if action == 'get' then
  local s = redis.call('ZSCORE', EXT.expKey, pk)
  if not s then return -1 end
  return math.floor(tonumber(s)) - nowMs()
elseif action == 'set' then
  redis.call('ZADD', EXT.expKey, msText(nowMs() + tonumber(ARGV[3])), pk)
else
  redis.call('ZREM', EXT.expKey, pk)
end
bumpWriteCounter(EXT.verKey)
return 1
