-- cached_get.lua for a model without UNIQUE_FIELDS or EXPIRE, sent on its own (no lib.lua in
-- front); the same keys, arguments and replies.
local genNow = redis.call('GET', KEYS[#KEYS]) or '0'
if ARGV[#ARGV] ~= '*' and genNow ~= ARGV[#ARGV] then
  return redis.error_reply('IRSTALE ' .. genNow)
end
local counter = redis.call('GET', KEYS[1])
if not counter then
  -- as lib.lua's bumpWriteCounter: a new counter starts from the server clock in microseconds
  local t = redis.call('TIME')
  redis.call('SET', KEYS[1], t[1] .. string.format('%06d', tonumber(t[2])))
  counter = redis.call('GET', KEYS[1])
end
if counter == ARGV[1] then
  return {'unchanged'}
end
return {counter, redis.call('HGETALL', KEYS[2])}
