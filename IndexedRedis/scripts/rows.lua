-- Read more rows of a result that fetch.lua started ('chunked' reply), from the same instant.
--
-- KEYS[1]  write counter of the generation (_ir_|KEY:ver)
--
-- ARGV[1]  data key prefix (_ir_|KEY:data:)
-- ARGV[2]  the write counter fetch.lua reported
-- ARGV[3]  mode: 'all' (HGETALL rows) or 'fields' (HMGET rows)
-- ARGV[4]  nFields, then the field names (mode 'fields'), then the pks to read
--
-- Replies {'changed'} when anything was written to the generation since fetch.lua ran (the
-- caller starts over), else the rows as fetch.lua gives them: {pk, {...}, pk, {...}, ...}.
-- The generation pointer and the planned generation come last in KEYS and ARGV.
local genNow = redis.call('GET', KEYS[#KEYS]) or '0'
if ARGV[#ARGV] ~= '*' and genNow ~= ARGV[#ARGV] then
  return redis.error_reply('IRSTALE ' .. genNow)
end
local counter = redis.call('GET', KEYS[1]) or '0'
if counter ~= ARGV[2] then
  return {'changed'}
end

local prefix = ARGV[1]
local mode = ARGV[3]
local nf = tonumber(ARGV[4])
local out = {}
for i = 5 + nf, #ARGV - 1 do
  local pk = ARGV[i]
  local key = prefix .. pk
  if mode == 'all' then
    local h = redis.call('HGETALL', key)
    if #h > 0 then
      out[#out + 1] = pk
      out[#out + 1] = h
    end
  else
    local vals = redis.call('HMGET', key, unpack(ARGV, 5, 4 + nf))
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
