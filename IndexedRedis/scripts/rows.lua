-- Read more rows of a result that fetch.lua started ('chunked' reply), from the same instant.
--
-- KEYS[1]  write counter of the generation (_ir_|KEY:ver)
-- KEYS[2 .. 1+n]  the data keys of the n objects to read
--
-- ARGV[1]  the write counter fetch.lua reported
-- ARGV[2]  mode: 'all' (HGETALL rows) or 'fields' (HMGET rows)
-- ARGV[3]  nFields, then the field names (mode 'fields'), then the n pks, in the order of KEYS
--
-- Replies {'changed'} when anything was written to the generation since fetch.lua ran (the
-- caller starts over), else the rows as fetch.lua gives them: {pk, {...}, pk, {...}, ...}.
-- The generation pointer and the planned generation come last in KEYS and ARGV.
local stale = staleGeneration()
if stale then
  return stale
end
local counter = redis.call('GET', KEYS[1]) or '0'
if counter ~= ARGV[1] then
  return {'changed'}
end

local mode = ARGV[2]
local nf = tonumber(ARGV[3])
local firstPk = 4 + nf
-- EXPIRE (ext.lua): an object of this chunk past its deadline now makes the caller start over,
-- so no object is returned after its deadline and the rows stay those of one instant.
if EXT and EXT.expiry then
  local due, dn = dueNow()
  if dn > 0 then
    for i = 2, #KEYS - 1 do
      if due[ARGV[firstPk + i - 2]] then
        return {'changed'}
      end
    end
  end
end
local out = {}
for i = 2, #KEYS - 1 do
  local key = KEYS[i]
  local pk = ARGV[firstPk + i - 2]
  if mode == 'all' then
    local h = redis.call('HGETALL', key)
    if #h > 0 then
      out[#out + 1] = pk
      out[#out + 1] = h
    end
  else
    local vals = redis.call('HMGET', key, unpack(ARGV, 4, 3 + nf))
    local any = false
    for m = 1, nf do
      if vals[m] then any = true break end
    end
    if any or redis.call('EXISTS', key) == 1 then
      out[#out + 1] = pk
      out[#out + 1] = vals
    end
  end
end
return out
