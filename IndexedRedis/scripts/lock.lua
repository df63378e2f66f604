-- Take a model's lock for an operation done in bounded steps (see bigops.py).
--
-- KEYS[1]  the lock's lease (_ir_|KEY:lock), a string with a TTL that the holder refreshes
-- ARGV[1]  the token of the holder
-- ARGV[2]  the lease in milliseconds
-- The generation pointer and the planned generation come last in KEYS and ARGV (the token
-- key and flag of lib.lua are not used).
--
-- While locked, the generation pointer holds '<gen>L<token>': every other script of the model
-- then answers IRSTALE with it, and the client waits for the lock to go (executor.py), so no
-- reader or writer of the model sees the operation half done. The holder's own calls name the
-- locked value as their planned generation. Replies: the locked value, or an IRSTALE error.
local genNow = redis.call('GET', KEYS[#KEYS]) or '0'
local locked = ARGV[#ARGV] .. 'L' .. ARGV[1]
if genNow == locked then
  return locked  -- taken by this very call, whose reply was lost
end
if genNow ~= ARGV[#ARGV] then
  return redis.error_reply('IRSTALE ' .. genNow)
end
redis.call('SET', KEYS[#KEYS], locked)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return locked
