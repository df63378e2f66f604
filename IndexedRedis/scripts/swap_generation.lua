-- Make a freshly built generation current, in one O(1) step.
--
-- KEYS[1]  the generation pointer (_ir_|KEY:gen)
-- KEYS[2]  the new generation's building marker (_ir_|KEY:genN:building)
-- KEYS[3]  the set of generations that may hold keys (_ir_|KEY:gens): the replaced one joins it,
--          so that a client killed before it dropped the old generation leaves it findable
-- ARGV[1]  the new generation N
-- Returns the generation that was current before (0 when the pointer was absent); -1 when N
-- is current already (this switch ran before and its reply was lost: a client retry); or an
-- IRGONE error when the building marker is gone: the build outlived its TTL and may have
-- been removed as leftovers (by repair), so it must not become current.
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('GET', KEYS[1]) == ARGV[1] then
    return -1
  end
  return redis.error_reply('IRGONE the generation being built was removed before it could be switched in')
end
local old = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
-- '<gen>L<token>' while an operation held the model's lock (bigops.py): it fails at its next step
old = string.match(old, '^%d+')
redis.call('SADD', KEYS[3], old)
return tonumber(old)
