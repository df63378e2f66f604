-- Resolve a filter and return what one fetch function needs, all at one instant.
--
-- KEYS[1]  set of all pks of the model (_ir_|KEY:keys)
-- KEYS[2 .. 1+nEq]   index sets the objects must be in (equals filters)
-- KEYS[2+nEq .. ]    index sets the objects must not be in (not-equals filters)
-- KEYS[#KEYS-1]      write counter of the generation (_ir_|KEY:ver)
--
-- ARGV[1]  data key prefix (_ir_|KEY:data:)
-- ARGV[2]  nEq
-- ARGV[3]  mode:
--   'pks'     the matching pks
--   'count'   how many match
--   'all'     {pk1, {field, value, ...}, pk2, ...} for every match (HGETALL)
--   'fields'  {pk1, {v1, v2, ...}, ...} with ARGV[5..] the fields (HMGET)
--   'first'   {pk, {field, value, ...}} of the lowest pk, or {}
--   'last'    the same for the highest pk
--   'random'  the same for a match picked by ARGV[5], a number in [0, 1)
--   'fieldsupto'  as 'fields' for at most ARGV[4] possible matches, else {'big'} (see below)
--   'scan'    one page of the matches, for operations done in bounded steps: SSCAN of the first
--             equals set (the all-pks set when there is none) from cursor ARGV[5], COUNT ARGV[6],
--             the members kept that pass every filter; {next cursor, {pk1, {v1, ...}, ...}} with
--             ARGV[7..] the fields (HMGET)
-- ARGV[4]  limit, for 'all' and 'fields': when more than this many objects match (and limit > 0),
--          the reply is {'chunked', counter, {every matching pk}, rows of the first `limit` pks}
--          and the caller reads the other rows with rows.lua, which checks that the write
--          counter did not move, so all rows still come from this instant.
-- Objects whose data key is gone are left out of row replies, and, for models with EXPIRE, objects
-- past their deadline are left out of every reply, counts included (ext.lua).
-- ARGV[5]  for 'all', 'count' and 'pks' read for the client cache (readcache.py): the write counter
--          the cached result was read at ('' for none). The reply is then {'unchanged'} when the
--          counter still has that value (nothing is read), else {'ver', counter, the reply above}.
-- The generation pointer and the planned generation come last in KEYS and ARGV.
-- Generation check (see keys.py): the last key is the generation pointer, the last argument the
-- generation the client planned for ('*': any, used while a reset builds a new generation).
local stale = staleGeneration()
if stale then
  return stale
end

-- EXPIRE (ext.lua): purge a few objects past their deadline; the others are left out below.
if EXT and EXT.expiry then
  purgeDue(READ_SWEEP)
end

local prefix = ARGV[1]
local nEq = tonumber(ARGV[2])
local mode = ARGV[3]
local limit = tonumber(ARGV[4])
local nKeys = #KEYS - 2
local nArgs = #ARGV - 1

-- Client cache: every write script bumps the counter in the same step as its writes, so an
-- unchanged counter means an unchanged result. A missing counter (6.0.3 layout, or after
-- destroyModel) is created first: it starts from the server clock, never from a value seen before.
local cacheArg, counter = nil, nil
if nArgs >= 5 and (mode == 'all' or mode == 'count' or mode == 'pks') then
  cacheArg = ARGV[5]
  counter = currentCounter(KEYS[#KEYS - 1])
  if counter == cacheArg then
    return {'unchanged'}
  end
end
local function reply(r)
  if cacheArg then return {'ver', counter, r} end
  return r
end

-- 'fieldsupto': as 'fields' when at most `limit` objects can match (the smallest equals set, or
-- the all-pks set, is no bigger), else {'big'} at once, before any set is read.
if mode == 'fieldsupto' then
  local bound = -1
  for i = 2, 1 + nEq do
    local n = redis.call('SCARD', KEYS[i])
    if bound < 0 or n < bound then bound = n end
  end
  if bound < 0 then bound = redis.call('SCARD', KEYS[1]) end
  if bound > limit then return {'big'} end
  mode, limit = 'fields', 0
end

local function without(pks, setKey)
  return members(pks, setKey, 0)
end

if mode == 'scan' or mode == 'scanall' then
  local iter, firstEq = KEYS[1], 2
  if nEq > 0 then
    iter, firstEq = KEYS[2], 3
  end
  local page = redis.call('SSCAN', iter, ARGV[5], 'COUNT', ARGV[6])
  local found = page[2]
  for i = firstEq, 1 + nEq do
    if #found == 0 then break end
    found = members(found, KEYS[i], 1)
  end
  for i = 2 + nEq, nKeys do
    if #found == 0 then break end
    found = without(found, KEYS[i])
  end
  found = dropDue(found)
  return {page[1], rowsFields(prefix, found, 1, #found, 7, nArgs)}
end

-- count: from set cardinalities, without building the list of pks. The objects counted are
-- those in every equals set (the all-pks set when there is none) and in no not-equals set:
-- |E \ (N1 u ... u Nk)| = sum over the subsets S of {N1..Nk} of (-1)^|S| * |E n S|.
-- Without an equals filter E is the all-pks set, which holds every pk of every index set (the
-- write scripts keep it so; verify() reports otherwise), so E n S is just the intersection of S.
if mode == 'count' and nKeys - 1 - nEq <= 4 then
  local eq = {}
  for i = 2, 1 + nEq do eq[#eq + 1] = KEYS[i] end
  local ne = {}
  for i = 2 + nEq, nKeys do ne[#ne + 1] = KEYS[i] end
  local total = 0
  for mask = 0, 2 ^ #ne - 1 do
    local keys = {unpack(eq)}
    local odd = false
    for j = 1, #ne do
      if math.floor(mask / 2 ^ (j - 1)) % 2 == 1 then
        keys[#keys + 1] = ne[j]
        odd = not odd
      end
    end
    local n
    if #keys == 0 then
      n = redis.call('SCARD', KEYS[1])
    elseif #keys == 1 then
      n = redis.call('SCARD', keys[1])
    else
      n = redis.pcall('SINTERCARD', #keys, unpack(keys))
      if type(n) == 'table' then  -- before Redis 7: no SINTERCARD
        n = #redis.call('SINTER', unpack(keys))
      end
    end
    if odd then total = total - n else total = total + n end
  end
  -- objects past their deadline that the sets still hold are not counted
  local due, dn = dueNow()
  if dn > 0 then
    for pk in pairs(due) do
      local match = redis.call('SISMEMBER', nEq == 0 and KEYS[1] or KEYS[2], pk) == 1
      for i = 3, 1 + nEq do
        if match and redis.call('SISMEMBER', KEYS[i], pk) == 0 then match = false end
      end
      for i = 2 + nEq, nKeys do
        if match and redis.call('SISMEMBER', KEYS[i], pk) == 1 then match = false end
      end
      if match then total = total - 1 end
    end
  end
  return reply(total)
end

local pks
if nEq == 0 then
  if nKeys == 1 then
    pks = redis.call('SMEMBERS', KEYS[1])
  else
    pks = redis.call('SDIFF', unpack(KEYS, 1, nKeys))
  end
elseif nEq == 1 then
  if nKeys == 2 then
    pks = redis.call('SMEMBERS', KEYS[2])
  else
    pks = redis.call('SDIFF', unpack(KEYS, 2, nKeys))
  end
else
  pks = redis.call('SINTER', unpack(KEYS, 2, 1 + nEq))
  for i = 2 + nEq, nKeys do
    if #pks == 0 then break end
    pks = without(pks, KEYS[i])
  end
end

pks = dropDue(pks)

if mode == 'pks' then
  return reply(pks)
elseif mode == 'count' then
  return reply(#pks)
elseif mode == 'all' or mode == 'fields' then
  local rows = function(from, to) return rowsAll(prefix, pks, from, to) end
  if mode == 'fields' then
    rows = function(from, to) return rowsFields(prefix, pks, from, to, 5, nArgs) end
  end
  return reply(rowsReply(pks, limit, rows, KEYS[#KEYS - 1]))
else
  -- one row: first, last or random; skip pks whose data is gone
  if #pks == 0 then return {} end
  if mode == 'random' then
    return randomRow(prefix, pks, ARGV[5])
  end
  -- first / last: the lowest / highest pk whose data exists. One linear pass finds the
  -- candidate (no sort of the whole set); a candidate whose data is gone is dropped and the
  -- pass repeated. Pks that are not numbers (never written by IndexedRedis) come last.
  local sign = 1
  if mode == 'last' then sign = -1 end
  local alive = pks
  while #alive > 0 do
    local best, bestI = nil, nil
    for i = 1, #alive do
      local v = tonumber(alive[i])
      if v and (best == nil or sign * v < sign * best) then best, bestI = v, i end
    end
    if bestI == nil then break end
    local pk = alive[bestI]
    local h = redis.call('HGETALL', prefix .. pk)
    if #h > 0 then return {pk, h} end
    table.remove(alive, bestI)
  end
  for i = 1, #alive do
    local h = redis.call('HGETALL', prefix .. alive[i])
    if #h > 0 then return {alive[i], h} end
  end
  return {}
end
