-- Add or remove one index entry, only if the object still stores the value verify() saw.
--
-- KEYS[1]  the index key
-- KEYS[2]  the object's data key
-- ARGV[1]  'add' or 'rem'
-- ARGV[2]  pk
-- ARGV[3]  field name
-- ARGV[4]  'v' .. stored value seen by verify, or 'x' when the field (or the object) was absent
-- Returns 1 when the entry was fixed, 0 when nothing was done (the object changed meanwhile).
local cur = redis.call('HGET', KEYS[2], ARGV[3])
local expected = ARGV[4]
local same
if expected == 'x' then
  same = not cur
else
  same = cur and ('v' .. cur) == expected
end
if not same then
  return 0
end
if ARGV[1] == 'add' then
  return redis.call('SADD', KEYS[1], ARGV[2])
end
return redis.call('SREM', KEYS[1], ARGV[2])
