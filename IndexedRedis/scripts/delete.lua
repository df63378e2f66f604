-- Delete a batch of objects atomically with their index entries.
--
-- KEYS[1]  set of all pks of the model (_ir_|KEY:keys)
-- KEYS[2]  write counter of the generation (_ir_|KEY:ver), bumped when anything is deleted
-- then per entry: the data key, then one index key per indexed field (the key its expected value names),
--   then the nOwn keys of the collections the object owns (collection fields; deleted with it)
-- then the generation's index key registry (_ir_|KEY:idxkeys): emptied index keys leave it
--   (lib.lua: registryKey; it comes before the sorted sets, the token key and the generation pointer)
--
-- ARGV[1]  number of entries
-- ARGV[2]  nOwn: collection keys per entry
-- then per entry: pk, nIdx, then nIdx pairs: field, expected
--   expected: 'v' .. stored value, 'x' (absent), '?' (unknown: report the current values)
--
-- Entries whose object is already gone are skipped. Nothing is deleted unless every entry's
-- expected index values match what Redis holds. Replies:
--   {'ok', n}                                 n objects deleted
--   {'conflict', i, n, field1, cur1, ..., j, m, ...}  entries i, j hold other values (n, m fields each,
--                                              current values follow; cur is false when absent)
--   {'replay', n}                             the call was sent before and ran: its 'ok' reply
-- The generation pointer and the planned generation come last in KEYS and ARGV, after the
-- token key and flag (lib.lua: replayed / remember), and before those the sorted sets of
-- SORTED_FIELDS (lib.lua: sortedSpec, unplaceSorted).
-- Models with UNIQUE_FIELDS or EXPIRE (ext.lua): objects past their deadline are purged first (at
-- most the sweep budget, and every entry found past it); a deleted object leaves its unique
-- hashes and the expiry set too.
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

local nEntries = tonumber(ARGV[1])
local nOwn = tonumber(ARGV[2])
local spec = sortedSpec()
local entries = {}
local a = 3
local k = 3
for i = 1, nEntries do
  local e = {pk = ARGV[a], nIdx = tonumber(ARGV[a + 1]), arg = a + 2, dataKey = KEYS[k], idxKey = k + 1}
  e.ownKey = k + 1 + e.nIdx
  a = a + 2 + 2 * e.nIdx
  k = k + 1 + e.nIdx + nOwn
  entries[i] = e
end

if EXT then
  purgeDue(EXT.sweep)
end
local conflicts = {'conflict'}
for i = 1, nEntries do
  local e = entries[i]
  e.exists = redis.call('EXISTS', e.dataKey) == 1
  if e.exists and EXT and isDue(e.pk) then
    -- past its deadline: already gone for every reader; removed here, not counted as deleted
    purgeOne(e.pk)
    e.exists = false
  end
  if e.exists then
    local fields, expected = {}, {}
    for j = 1, e.nIdx do
      fields[j] = ARGV[e.arg + 2 * j - 2]
      expected[j] = ARGV[e.arg + 2 * j - 1]
    end
    addConflict(conflicts, i, e.dataKey, fields, expected)
  end
end
if #conflicts > 1 then
  return conflicts
end

local n = 0
local touched = {}
for i = 1, nEntries do
  local e = entries[i]
  for j = 0, nOwn - 1 do
    redis.call('DEL', KEYS[e.ownKey + j])
  end
  if e.exists then
    if #spec > 0 then
      unplaceSorted(spec, e.pk, e.dataKey)
    end
    if EXT then
      if #EXT.uniq > 0 then
        uniqueRelease(e.pk, function(f) return redis.call('HGET', e.dataKey, f) end)
      end
      if EXT.expiry then
        redis.call('ZREM', EXT.expKey, e.pk)
      end
    end
    redis.call('DEL', e.dataKey)
    redis.call('SREM', KEYS[1], e.pk)
    for j = 0, e.nIdx - 1 do
      if ARGV[e.arg + 2 * j + 1] ~= 'x' then
        local idxKey = KEYS[e.idxKey + j]
        if redis.call('SREM', idxKey, e.pk) == 1 and redis.call('EXISTS', idxKey) == 0 then touched[idxKey] = true end
      end
    end
    n = n + 1
  end
end
if n > 0 then
  bumpWriteCounter(KEYS[2])
end
updateRegistry(registryKey(), touched)
return remember({'ok', n})
