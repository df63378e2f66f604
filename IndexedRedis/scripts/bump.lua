-- Bump a generation's write counter (see lib.lua), for writes sent as plain commands.
--
-- KEYS[1]  the write counter (_ir_|KEY:ver or _ir_|KEY:genN:ver)
-- The generation pointer and the planned generation come last in KEYS and ARGV.
local genNow = redis.call('GET', KEYS[#KEYS]) or '0'
if ARGV[#ARGV] ~= '*' and genNow ~= ARGV[#ARGV] then
  return redis.error_reply('IRSTALE ' .. genNow)
end
bumpWriteCounter(KEYS[1])
return redis.call('GET', KEYS[1])
