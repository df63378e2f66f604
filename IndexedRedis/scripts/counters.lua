-- The generation pointer and write counter of one or more models, read at one instant.
--
-- KEYS  pairs: a model's generation pointer (_ir_|KEY:gen), then the write counter of the
--       generation the client believes current (_ir_|KEY:ver or _ir_|KEY:genN:ver)
-- A missing counter is created first (from the server clock, see lib.lua), so that a counter
-- deleted later (destroyModel) can never look unchanged to a reader holding this reply.
-- Replies {gen1, ver1, gen2, ver2, ...} (gen false when the pointer is absent).
-- The generation pointer and the planned generation come last in KEYS and ARGV (ignored here).
local out = {}
for i = 1, #KEYS - 1, 2 do
  out[#out + 1] = redis.call('GET', KEYS[i])
  local ver = redis.call('GET', KEYS[i + 1])
  if not ver then
    bumpWriteCounter(KEYS[i + 1])
    ver = redis.call('GET', KEYS[i + 1])
  end
  out[#out + 1] = ver
end
return out
