-- Resolve a query with server-side ranges, IN, ordering or a slice, and return what one fetch
-- function needs, all at one instant. (Equals / not-equals alone go through fetch.lua.)
--
-- KEYS[1]            set of all pks of the model (_ir_|KEY:keys)
-- then               nEq equals sets, nNe not-equals sets, the sets of every IN group, the
--                    sorted sets of the nR ranges, the sorted set to order by (when ordered)
-- KEYS[#KEYS-1]      write counter of the generation (_ir_|KEY:ver)
--
-- ARGV, in order: data key prefix, mode, limit, nEq, nNe, nGroups, the size of each group, nR,
-- per range: type ('s' scores, 'l' text), min, max, field; ordered (0/1), direction ('a'/'d'),
-- order type ('s'/'l'); slice offset, slice count (-1: to the end); then the mode's own:
--   'pks' | 'count' | 'all' | 'first' | 'last'  nothing; for 'pks', 'count' and 'all' read for the
--                                               client cache: the counter the cached result was
--                                               read at (replies as fetch.lua's: {'unchanged'}, or
--                                               {'ver', counter, the reply})
--   'fields' | 'fieldsupto'                     the fields (HMGET)
--   'random'                                    a number in [0, 1)
--   'scan' | 'scanall'                          cursor, count, then the fields
-- Members of numeric sorted sets are PK20 (20-digit pks), of text ones \1 value \0 PK20 (lib.lua).
-- Modes and replies are those of fetch.lua; 'first' / 'last' follow the order when there is one.
-- 'scan' pages through the matches for a delete done in steps (the model's lock is held): from
-- the first range's sorted set (cursor 'z<kept so far>': the matches of a page are deleted
-- before the next) or by SSCAN, and replies {next cursor or '0', {pk1, {v1, ...}, ...}}.
-- For models with EXPIRE, objects past their deadline are left out of every reply (ext.lua).
-- The generation pointer and the planned generation come last in KEYS and ARGV.
local stale = staleGeneration()
if stale then
  return stale
end

-- EXPIRE (ext.lua): purge a few objects past their deadline; `passing` leaves out the others.
if EXT and EXT.expiry then
  purgeDue(READ_SWEEP)
end
local function noneDue()
  local _, n = dueNow()
  return n == 0
end

local prefix, mode, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local nEq, nNe, nGroups = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local a = 7
local k = 2
local eq, ne, groups, ranges = {}, {}, {}, {}
for i = 1, nEq do eq[i] = KEYS[k]; k = k + 1 end
for i = 1, nNe do ne[i] = KEYS[k]; k = k + 1 end
local sizes = {}
for g = 1, nGroups do sizes[g] = tonumber(ARGV[a]); a = a + 1 end
for g = 1, nGroups do
  local keys = {}
  for i = 1, sizes[g] do keys[i] = KEYS[k]; k = k + 1 end
  groups[g] = keys
end
local nR = tonumber(ARGV[a]); a = a + 1
for i = 1, nR do
  ranges[i] = {kind = ARGV[a], min = ARGV[a + 1], max = ARGV[a + 2], field = ARGV[a + 3], key = KEYS[k]}
  a = a + 4
  k = k + 1
end
local ordered = ARGV[a] == '1'
local desc = ARGV[a + 1] == 'd'
local orderKind = ARGV[a + 2]
local orderKey = nil
if ordered then orderKey = KEYS[k]; k = k + 1 end
local sliceFrom, sliceCount = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
a = a + 5
local nArgs = #ARGV - 1

-- Client cache, as in fetch.lua: an unchanged counter means an unchanged result (the purge of
-- objects past their deadline above bumps it when it removes any).
local cacheArg, counter = nil, nil
if nArgs >= a and (mode == 'all' or mode == 'count' or mode == 'pks') then
  cacheArg = ARGV[a]
  counter = currentCounter(KEYS[#KEYS - 1])
  if counter == cacheArg then
    return {'unchanged'}
  end
end
local function reply(r)
  if cacheArg then return {'ver', counter, r} end
  return r
end

local function pkOf(m, kind)
  if kind == 'l' then
    return tostring(tonumber(string.sub(m, -20)))
  end
  return tostring(tonumber(m))
end

local function scoreBound(b)
  local open = string.sub(b, 1, 1) == '('
  if open then b = string.sub(b, 2) end
  local v
  if b == '-inf' then v = -math.huge elseif b == '+inf' or b == 'inf' then v = math.huge else v = tonumber(b) end
  return v, open
end

-- Whether each pk is inside range r (a numeric one by its score, a text one by its value).
local function inRange(pks, r)
  if #pks == 0 then return pks end
  local out = {}
  if r.kind == 's' then
    local lo, loOpen = scoreBound(r.min)
    local hi, hiOpen = scoreBound(r.max)
    local members = {}
    for i = 1, #pks do members[i] = pk20(pks[i]) end
    local i = 1
    while i <= #members do
      local j = math.min(i + 999, #members)
      local scores = redis.call('ZMSCORE', r.key, unpack(members, i, j))
      for m = 1, #scores do
        local s = scores[m] and tonumber(scores[m])
        if s and (s > lo or (s == lo and not loOpen)) and (s < hi or (s == hi and not hiOpen)) then
          out[#out + 1] = pks[i + m - 1]
        end
      end
      i = j + 1
    end
    return out
  end
  local loOpen, lo = string.sub(r.min, 1, 1) == '(', string.sub(r.min, 2)
  local hiOpen, hi = string.sub(r.max, 1, 1) == '(', string.sub(r.max, 2)
  for i = 1, #pks do
    local m = lexMember(redis.call('HGET', prefix .. pks[i], r.field), pks[i])
    if (m > lo or (m == lo and not loOpen)) and (m < hi or (m == hi and not hiOpen)) then
      out[#out + 1] = pks[i]
    end
  end
  return out
end

-- The pks of `pks` that pass every filter but range number `skip` (answered by the source).
local function passing(pks, skip)
  pks = dropDue(pks)
  for i = 1, #eq do pks = members(pks, eq[i], 1) end
  for i = 1, #ne do pks = members(pks, ne[i], 0) end
  for g = 1, #groups do
    if #pks == 0 then break end
    local hit = {}
    for _, key in ipairs(groups[g]) do
      local i = 1
      while i <= #pks do
        local j = math.min(i + 999, #pks)
        local flags = redis.call('SMISMEMBER', key, unpack(pks, i, j))
        for m = 1, #flags do
          if flags[m] == 1 then hit[i + m - 1] = true end
        end
        i = j + 1
      end
    end
    local out = {}
    for i = 1, #pks do if hit[i] then out[#out + 1] = pks[i] end end
    pks = out
  end
  for i = 1, #ranges do
    if i ~= skip then pks = inRange(pks, ranges[i]) end
  end
  return pks
end

-- The members of a sorted set within a range (all of it without one), from `offset`, `count` of them.
local function rangeMembers(key, kind, r, rev, offset, count)
  if count == 0 then return {} end  -- ZRANGE key 0 -1 would be all of it
  if r then
    if kind == 's' then
      if rev then return redis.call('ZREVRANGEBYSCORE', key, r.max, r.min, 'LIMIT', offset, count) end
      return redis.call('ZRANGEBYSCORE', key, r.min, r.max, 'LIMIT', offset, count)
    end
    if rev then return redis.call('ZREVRANGEBYLEX', key, r.max, r.min, 'LIMIT', offset, count) end
    return redis.call('ZRANGEBYLEX', key, r.min, r.max, 'LIMIT', offset, count)
  end
  local stop = offset + count - 1
  if count < 0 then stop = -1 end
  if rev then return redis.call('ZREVRANGE', key, offset, stop) end
  return redis.call('ZRANGE', key, offset, stop)
end

local function orderRange()
  for i = 1, #ranges do
    if ranges[i].key == orderKey then return i end
  end
  return nil
end

-- The matching pks in order: walk the order's sorted set in batches, keeping what passes,
-- until `want` are found (want < 0: all).
local function orderedPks(want, rev)
  local ri = orderRange()
  local r = ri and ranges[ri] or nil
  local out = {}
  local offset = 0
  local batch = 1000
  if want >= 0 and want < 250 then batch = math.max(4 * want, 32) end
  while want < 0 or #out < want do
    local page = rangeMembers(orderKey, orderKind, r, rev, offset, batch)
    if #page == 0 then break end
    local pks = {}
    for i = 1, #page do pks[i] = pkOf(page[i], orderKind) end
    pks = passing(pks, ri)
    for i = 1, #pks do
      out[#out + 1] = pks[i]
      if want >= 0 and #out >= want then break end
    end
    if #page < batch then break end
    offset = offset + #page
  end
  return out
end

local function sliced(pks)
  if sliceFrom == 0 and sliceCount < 0 then return pks end
  local out = {}
  local last = #pks
  if sliceCount >= 0 then last = math.min(#pks, sliceFrom + sliceCount) end
  for i = sliceFrom + 1, last do out[#out + 1] = pks[i] end
  return out
end

-- The slice of the ordered matches. With no filter but (at most) a range on the order field,
-- Redis cuts the slice itself (ZRANGE... LIMIT offset count): page n costs what page 1 costs.
local function orderedSlice(rev)
  local ri = orderRange()
  if #eq + #ne + #groups == 0 and (#ranges == 0 or (#ranges == 1 and ri ~= nil)) and noneDue() then
    local page = rangeMembers(orderKey, orderKind, ri and ranges[ri] or nil, rev, sliceFrom, sliceCount)
    local pks = {}
    for i = 1, #page do pks[i] = pkOf(page[i], orderKind) end
    return pks
  end
  local want = -1
  if sliceCount >= 0 then want = sliceFrom + sliceCount end
  return sliced(orderedPks(want, rev))
end

-- The matching pks, unordered.
local function allPks()
  if #ranges > 0 then
    local r = ranges[1]
    local page = rangeMembers(r.key, r.kind, r, false, 0, -1)
    local pks = {}
    for i = 1, #page do pks[i] = pkOf(page[i], r.kind) end
    return passing(pks, 1)
  end
  if #eq > 0 then
    return passing(redis.call('SINTER', unpack(eq)), 0)
  end
  if #groups > 0 then
    return passing(redis.call('SUNION', unpack(groups[1])), 0)
  end
  return passing(redis.call('SMEMBERS', KEYS[1]), 0)
end

local function byPk(x, y) return tonumber(x) < tonumber(y) end


-- scan: one page of the matches, for a delete in steps
if mode == 'scan' or mode == 'scanall' then
  local cursor, count = ARGV[a], tonumber(ARGV[a + 1])
  local firstField = a + 2
  if #ranges > 0 then
    local r = ranges[1]
    local kept = 0
    if string.sub(cursor, 1, 1) == 'z' then kept = tonumber(string.sub(cursor, 2)) end
    local page = rangeMembers(r.key, r.kind, r, false, kept, count)
    local pks = {}
    for i = 1, #page do pks[i] = pkOf(page[i], r.kind) end
    local found = passing(pks, 1)
    local nextCursor = '0'
    if #page == count then
      -- 'scan': the matches are deleted before the next page; 'scanall': they stay
      local skip = #page - #found
      if mode == 'scanall' then skip = #page end
      nextCursor = 'z' .. tostring(kept + skip)
    end
    return {nextCursor, rowsFields(prefix, found, 1, #found, firstField, nArgs)}
  end
  local iter = KEYS[1]
  if #eq > 0 then iter = eq[1] end
  local sc = redis.call('SSCAN', iter, cursor, 'COUNT', count)
  local found = passing(sc[2], 0)
  return {sc[1], rowsFields(prefix, found, 1, #found, firstField, nArgs)}
end

-- count: from the sorted set alone when a single range is the whole query
if mode == 'count' and not ordered and #eq == 0 and #ne == 0 and #groups == 0 and #ranges == 1
    and sliceFrom == 0 and sliceCount < 0 and noneDue() then
  local r = ranges[1]
  if r.kind == 's' then return reply(redis.call('ZCOUNT', r.key, r.min, r.max)) end
  return reply(redis.call('ZLEXCOUNT', r.key, r.min, r.max))
end

local pks
local function reversed(pks)
  local rev = {}
  for i = #pks, 1, -1 do rev[#rev + 1] = pks[i] end
  return rev
end

if mode == 'first' or mode == 'last' then
  if ordered and sliceFrom == 0 and sliceCount < 0 then
    -- the first (or, walking from the end, the last) few that pass; all of them if none has data
    local rev = (mode == 'last') ~= desc
    pks = orderedPks(8, rev)
    for i = 1, #pks do
      local h = redis.call('HGETALL', prefix .. pks[i])
      if #h > 0 then return {pks[i], h} end
    end
    pks = orderedPks(-1, rev)
  elseif ordered then
    pks = orderedSlice(desc)
    if mode == 'last' then pks = reversed(pks) end
  else
    pks = allPks()
    table.sort(pks, byPk)
    pks = sliced(pks)
    if mode == 'last' then pks = reversed(pks) end
  end
  for i = 1, #pks do
    local h = redis.call('HGETALL', prefix .. pks[i])
    if #h > 0 then return {pks[i], h} end
  end
  return {}
end

if ordered then
  pks = orderedSlice(desc)
else
  pks = allPks()
  if sliceFrom > 0 or sliceCount >= 0 then
    table.sort(pks, byPk)
    pks = sliced(pks)
  end
end

if mode == 'pks' then
  return reply(pks)
elseif mode == 'count' then
  return reply(#pks)
elseif mode == 'random' then
  return randomRow(prefix, pks, ARGV[a])
end

local rows = function(from, to) return rowsAll(prefix, pks, from, to) end
if mode == 'fields' or mode == 'fieldsupto' then
  rows = function(from, to) return rowsFields(prefix, pks, from, to, a, nArgs) end
end
if mode == 'fieldsupto' then
  if #pks > limit then return {'big'} end
  return rows(1, #pks)
end
return reply(rowsReply(pks, limit, rows, KEYS[#KEYS - 1]))
