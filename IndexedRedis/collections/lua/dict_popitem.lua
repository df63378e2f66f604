-- dict.popitem(): KEYS[1] the hash. Returns {field, value}; IRKEY when the hash is empty.
local f = redis.call('HRANDFIELD', KEYS[1])
if not f then
  return redis.error_reply('IRKEY popitem(): dictionary is empty')
end
local v = redis.call('HGET', KEYS[1], f)
redis.call('HDEL', KEYS[1], f)
touch(KEYS[1])
return {f, v}
