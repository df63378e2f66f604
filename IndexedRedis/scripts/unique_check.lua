-- Check (and repair) the unique hashes and the expiry set of a model against its data, one
-- batch at one instant (UNIQUE_FIELDS, EXPIRE; ext.lua). Used by verify() and repair().
--
-- ARGV[1]  mode:
--   'objects'  ARGV[2] '1' to repair, then pks: per object and constraint whose member (from its
--              data) is not held by it: {pk, u, member, holder or false}; with repair, a member no
--              one (alive) holds is given to the object
--   'entries'  ARGV[2] '1' to repair, ARGV[3] constraint u, ARGV[4] cursor, ARGV[5] count: one HSCAN
--              page of the hash: {next cursor, {member, pk, ...}} for entries whose object does not
--              exist or does not hold that member (with repair, removed)
--   'expiry'   ARGV[2] '1' to repair, ARGV[3] cursor, ARGV[4] count: one ZSCAN page of the expiry set:
--              {next cursor, {pk, ...}} for members that are not objects (with repair, removed)
-- The model's extension block, the generation pointer and the planned generation come last.
local stale = staleGeneration()
if stale then
  return stale
end
local mode, fix = ARGV[1], ARGV[2] == '1'
local x = EXT
if mode == 'objects' then
  local out = {}
  for i = 3, #ARGV - 1 do
    local pk = ARGV[i]
    local dataKey = x.dataPrefix .. pk
    if redis.call('EXISTS', dataKey) == 1 and not isDue(pk) then
      for u = 1, #x.uniq do
        local c = x.uniq[u]
        local m = storedMember(c, dataKey)
        if m then
          local holder = redis.call('HGET', c.key, m)
          if holder ~= pk then
            out[#out + 1] = {pk, u, m, holder or false}
            if fix then
              local held = false
              if holder and not isDue(holder) then
                local hk = x.dataPrefix .. holder
                held = storedMember(c, hk) == m
              end
              if not held then
                redis.call('HSET', c.key, m, pk)
              end
            end
          end
        end
      end
    end
  end
  if fix and #out > 0 then bumpWriteCounter(x.verKey) end
  return out
elseif mode == 'entries' then
  local c = x.uniq[tonumber(ARGV[3])]
  local page = redis.call('HSCAN', c.key, ARGV[4], 'COUNT', ARGV[5])
  local bad = {}
  local kv = page[2]
  for i = 1, #kv, 2 do
    local m, pk = kv[i], kv[i + 1]
    local dataKey = x.dataPrefix .. pk
    local ok = false
    if redis.call('EXISTS', dataKey) == 1 then
      ok = storedMember(c, dataKey) == m
    end
    if not ok then
      bad[#bad + 1] = m
      bad[#bad + 1] = pk
      if fix then redis.call('HDEL', c.key, m) end
    end
  end
  if fix and #bad > 0 then bumpWriteCounter(x.verKey) end
  return {page[1], bad}
else
  local page = redis.call('ZSCAN', x.expKey, ARGV[3], 'COUNT', ARGV[4])
  local bad = {}
  local kv = page[2]
  for i = 1, #kv, 2 do
    local pk = kv[i]
    if redis.call('SISMEMBER', x.keysKey, pk) == 0 then
      bad[#bad + 1] = pk
      if fix then redis.call('ZREM', x.expKey, pk) end
    end
  end
  return {page[1], bad}
end
