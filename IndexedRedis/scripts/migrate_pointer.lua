-- Begin or abandon a migration (see migrate.py): set the generation pointer from the value the
-- client planned for ('<gen>' to begin, '<gen>M<target>' to abandon) to ARGV[1].
--
-- KEYS     the generation pointer (lib.lua: last key)
-- ARGV[1]  the new value; then the planned value (lib.lua: last argument)
-- Replies: 1, or the IRSTALE error when the pointer holds something else.
local stale = staleGeneration()
if stale then
  return stale
end
redis.call('SET', KEYS[#KEYS], ARGV[1])
return 1
