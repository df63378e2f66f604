-- Fetch the object that holds a value of a unique constraint (UNIQUE_FIELDS; ext.lua), in one step.
--
-- KEYS[1]  the constraint's hash (_ir_|KEY:uniq:F1[+F2...])
-- ARGV[1]  data key prefix   ARGV[2] the unique member (see uniqueMember)
-- The model's extension block, the generation pointer and the planned generation come last.
-- Replies {pk, {field, value, ...}}, or {} when no object (alive) holds it.
local stale = staleGeneration()
if stale then
  return stale
end
local pk = redis.call('HGET', KEYS[1], ARGV[2])
if not pk then
  return {}
end
if isDue(pk) then
  return {}
end
local h = redis.call('HGETALL', ARGV[1] .. pk)
if #h == 0 then
  return {}
end
return {pk, h}
