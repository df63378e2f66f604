-- Save a batch of objects atomically, keeping every index exact.
--
-- KEYS[1]  set of all pks of the model          (_ir_|KEY:keys)
-- KEYS[2]  pk counter                           (_ir_|KEY:next)
-- KEYS[3]  write counter of the generation       (_ir_|KEY:ver), bumped when anything is written
-- then, per entry, in order:
--   modes U and C: the object's data key, then per index change: (U) old index key, new index key,
--                  (C) new index key
--   mode N:        per index change: new index key (the data key is named after the pk INCR hands out)
--
-- ARGV[1]  data key prefix (_ir_|KEY:data:), used for the pks handed out here
-- ARGV[2]  number of entries
-- ARGV[3]  nNames, then nNames field names: entries refer to fields by their position here
-- then per entry: mode, pk, nSet, nIdx,
--   the values to write (HSET):
--     nSet < 0: -nSet values, for the fields at positions 1 .. -nSet   (a whole object)
--     nSet >= 0: nSet pairs: field position, value                    (changed fields only)
--   per index change: field position (the new value is the one written above), and for mode U
--     the expected stored value: 'v' .. value (must match what Redis holds), 'x' (field must be
--     absent), '?' (unknown: always report the current values)
-- then the generation's index key registry (_ir_|KEY:idxkeys), kept when it exists (lib.lua:
--   registryKey; it comes before the sorted sets, the token key and the generation pointer)
--
-- Modes: N new object (pk from INCR), U update an existing object, C create under a given pk
-- (the pk counter is raised to it when it is higher).
-- Nothing is written unless every entry passes its checks. Replies:
--   {'ok', pk1, pk2, ...}                    one pk per entry
--   {'conflict', i, n, field1, cur1, ..., j, m, ...}   entries i, j (1-based) found other values in n, m
--                                            indexed fields (current values of all their changed indexed
--                                            fields follow; cur is false when absent)
--   {'gone', i}                              entry i (mode U) no longer exists
--   {'exists', i}                            entry i (mode C) exists already
--   {'replay', pk1, pk2, ...}                the call was sent before and ran: its 'ok' reply
-- The generation pointer and the planned generation come last in KEYS and ARGV, after the
-- token key and flag (lib.lua: replayed / remember), and before those the sorted sets of
-- SORTED_FIELDS (lib.lua: sortedSpec, placeSorted).
-- Models with UNIQUE_FIELDS or EXPIRE (ext.lua): objects past their deadline are purged first (at
-- most EXPIRE_SWEEP plus one per entry; a U entry that meets one gets 'gone'); with expiry, the call's extension
-- arguments hold one deadline per entry: '' keep it, 'p' none, 'a' .. ms a deadline in ms of the
-- server clock (migrate copies deadlines so), else milliseconds from now. Replies
-- also:
--   {'unique', i, u, holder, j}              entry i would give constraint u (1-based) a member
--                                            that object `holder` holds, or (holder '') that
--                                            entry j of this batch takes too; nothing is written
-- Generation check (see keys.py): the last key is the generation pointer, the last argument the
-- generation the client planned for ('*': any, used while a reset builds a new generation).
local stale = staleGeneration()
if stale then
  return stale
end
-- Sent again after a lost reply (see lib.lua): the write ran already; give its reply.
local again = replayed()
if again then
  return again
end

local prefix = ARGV[1]
local nEntries = tonumber(ARGV[2])
-- EXPIRE_SWEEP > 0: purge that many objects past their deadline, plus one per entry, so that a
-- stream of new objects never outgrows the sweep
if EXT and EXT.sweep > 0 then
  purgeDue(EXT.sweep + nEntries)
end
local spec = sortedSpec()
local nNames = tonumber(ARGV[3])
local names = {}
for i = 1, nNames do
  names[i] = ARGV[3 + i]
end

local entries = {}
local a = 4 + nNames
local k = 4
for i = 1, nEntries do
  local e = {mode = ARGV[a], pk = ARGV[a + 1], nSet = tonumber(ARGV[a + 2]), nIdx = tonumber(ARGV[a + 3])}
  a = a + 4
  e.setArg = a
  if e.nSet < 0 then
    a = a - e.nSet
  else
    a = a + 2 * e.nSet
  end
  e.idxArg = a
  if e.mode == 'U' then
    a = a + 2 * e.nIdx
  else
    a = a + e.nIdx
  end
  if e.mode ~= 'N' then
    e.dataKey = KEYS[k]
    k = k + 1
  end
  e.idxKey = k
  if e.mode == 'U' then
    k = k + 2 * e.nIdx
  else
    k = k + e.nIdx
  end
  entries[i] = e
end

-- Phase 1: checks, nothing written. Every conflicting entry is reported at once.
local conflicts = {'conflict'}
for i = 1, nEntries do
  local e = entries[i]
  if e.mode == 'U' then
    if redis.call('EXISTS', e.dataKey) == 0 then
      return {'gone', i}
    end
    if EXT and isDue(e.pk) then
      purgeOne(e.pk)
      return {'gone', i}
    end
    local fields, expected = {}, {}
    for j = 1, e.nIdx do
      fields[j] = names[tonumber(ARGV[e.idxArg + 2 * j - 2])]
      expected[j] = ARGV[e.idxArg + 2 * j - 1]
    end
    addConflict(conflicts, i, e.dataKey, fields, expected)
  elseif e.mode == 'C' then
    if EXT and isDue(e.pk) then
      purgeOne(e.pk)
    end
    if redis.call('EXISTS', e.dataKey) == 1 then
      return {'exists', i}
    end
  end
end
if #conflicts > 1 then
  return conflicts
end

-- The value entry e stores in field f once written (nil when it writes none there).
local function written(e, f)
  if e.nSet < 0 then
    for j = 1, -e.nSet do
      if names[j] == f then return ARGV[e.setArg + j - 1] end
    end
  else
    for j = 1, e.nSet do
      if names[tonumber(ARGV[e.setArg + 2 * j - 2])] == f then return ARGV[e.setArg + 2 * j - 1] end
    end
  end
  return nil
end

-- Unique constraints: each entry's members before and after, checked against the holders and
-- against the other entries of the batch. Nothing is written unless every member is free.
if EXT and #EXT.uniq > 0 then
  local byPk = {}
  for i = 1, nEntries do
    if entries[i].mode ~= 'N' then byPk[entries[i].pk] = entries[i] end
  end
  for i = 1, nEntries do
    local e = entries[i]
    e.uOld, e.uNew = {}, {}
    for u = 1, #EXT.uniq do
      local c = EXT.uniq[u]
      local changes = e.mode ~= 'U'
      for j = 1, #c.fields do
        if written(e, c.fields[j]) ~= nil then changes = true end
      end
      if changes then
        local cache = {}
        local function now(f)
          local v = written(e, f)
          if v ~= nil then return v end
          if e.mode == 'N' then return nil end
          if cache[f] == nil then cache[f] = redis.call('HGET', e.dataKey, f) end
          return cache[f]
        end
        if e.mode == 'U' then
          e.uOld[u] = uniqueMember(c, function(f)
            if cache[f] == nil then cache[f] = redis.call('HGET', e.dataKey, f) end
            return cache[f]
          end) or false
        else
          e.uOld[u] = false
        end
        e.uNew[u] = uniqueMember(c, now) or false
      end
    end
  end
  local claimed = {}
  for i = 1, nEntries do
    local e = entries[i]
    for u, m in pairs(e.uNew) do
      if m and m ~= e.uOld[u] then
        local c = EXT.uniq[u]
        local slot = u .. ':' .. m
        if claimed[slot] then
          return {'unique', i, u, '', claimed[slot]}
        end
        claimed[slot] = i
        local holder = redis.call('HGET', c.key, m)
        if holder and holder ~= e.pk then
          local other = byPk[holder]
          local leaves = other and other.uNew[u] ~= nil and other.uNew[u] ~= m
          if not leaves then
            if isDue(holder) then
              purgeOne(holder)
            else
              return {'unique', i, u, holder, 0}
            end
          end
        end
      end
    end
  end
end

-- Phase 2: writes.
local reply = {'ok'}
local hset = {}
local touched = {}  -- index keys created or emptied here: the registry is brought in line at the end
for i = 1, nEntries do
  local e = entries[i]
  local pk = e.pk
  local dataKey = e.dataKey
  if e.mode == 'N' then
    pk = tostring(redis.call('INCR', KEYS[2]))
    dataKey = prefix .. pk
  end
  local n = 0
  if e.nSet < 0 then
    for j = 1, -e.nSet do
      hset[2 * j - 1] = names[j]
      hset[2 * j] = ARGV[e.setArg + j - 1]
    end
    n = -e.nSet
  else
    for j = 1, e.nSet do
      hset[2 * j - 1] = names[tonumber(ARGV[e.setArg + 2 * j - 2])]
      hset[2 * j] = ARGV[e.setArg + 2 * j - 1]
    end
    n = e.nSet
  end
  local old = nil
  if #spec > 0 then
    -- the sorted sets follow the values written; text sets need the value before
    local values = {}
    for j = 1, n do
      values[hset[2 * j - 1]] = hset[2 * j]
    end
    if e.mode == 'U' then
      old = {}
      for j = 1, #spec do
        if spec[j].kind == 'l' and values[spec[j].field] ~= nil then
          old[spec[j].field] = redis.call('HGET', dataKey, spec[j].field)
        end
      end
    end
    e.values = values
  end
  if n > 0 then
    redis.call('HSET', dataKey, unpack(hset, 1, 2 * n))
  end
  if #spec > 0 then
    placeSorted(spec, pk, e.values, old)
  end
  for j = 0, e.nIdx - 1 do
    if e.mode == 'U' then
      local expected = ARGV[e.idxArg + 2 * j + 1]
      local oldKey = KEYS[e.idxKey + 2 * j]
      local newKey = KEYS[e.idxKey + 2 * j + 1]
      if expected ~= 'x' and oldKey ~= newKey then
        if redis.call('SREM', oldKey, pk) == 1 and redis.call('EXISTS', oldKey) == 0 then touched[oldKey] = true end
      end
      if redis.call('SADD', newKey, pk) == 1 and redis.call('SCARD', newKey) == 1 then touched[newKey] = true end
    else
      local newKey = KEYS[e.idxKey + j]
      if redis.call('SADD', newKey, pk) == 1 and redis.call('SCARD', newKey) == 1 then touched[newKey] = true end
    end
  end
  if e.mode ~= 'U' then
    redis.call('SADD', KEYS[1], pk)
  end
  if e.uNew then
    for u, m in pairs(e.uNew) do
      local key = EXT.uniq[u].key
      local before = e.uOld[u]
      if m ~= before then
        if before and redis.call('HGET', key, before) == pk then
          redis.call('HDEL', key, before)
        end
        if m then
          redis.call('HSET', key, m, pk)
        end
      end
    end
  end
  if EXT and EXT.expiry then
    local d = EXT_ARGS[EXT.dynArg + i - 1]
    if d == 'p' then
      redis.call('ZREM', EXT.expKey, pk)
    elseif d and string.sub(d, 1, 1) == 'a' then
      redis.call('ZADD', EXT.expKey, deadlineScore(tonumber(string.sub(d, 2)), i), pk)
    elseif d and d ~= '' then
      redis.call('ZADD', EXT.expKey, deadlineScore(nowMs() + tonumber(d), i), pk)
    end
  end
  if e.mode == 'C' then
    -- A pk given by the client (reserved, or kept by reset): pks handed out later come after it.
    local top = tonumber(redis.call('GET', KEYS[2]) or '0')
    if tonumber(pk) > top then
      redis.call('SET', KEYS[2], pk)
    end
  end
  reply[#reply + 1] = pk
end
if nEntries > 0 then
  bumpWriteCounter(KEYS[3])
end
updateRegistry(registryKey(), touched)
return remember(reply)
