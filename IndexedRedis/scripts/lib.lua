-- Shared by every script (scripts/__init__.py puts it in front of each one).

-- Model extensions (UNIQUE_FIELDS, EXPIRE; ext.lua): the executor appends the model's extension
-- block last before the generation pointer and the planned generation, and marks the planned
-- generation as 'GEN|nKeys|nArgs'. It is taken off here, so each script sees its own layout;
-- EXT_KEYS / EXT_ARGS hold it (empty for models without extensions, which pay nothing).
local KEYS, ARGV = KEYS, ARGV
local EXT_KEYS, EXT_ARGS = nil, nil
do
  local g, nk, na = string.match(ARGV[#ARGV] or '', '^(.-)|(%d+)|(%d+)$')
  if g then
    nk, na = tonumber(nk), tonumber(na)
    local K, A, XK, XA = {}, {}, {}, {}
    local nK, nA = #KEYS - 1 - nk, #ARGV - 1 - na
    for i = 1, nK do K[i] = KEYS[i] end
    for i = 1, nk do XK[i] = KEYS[nK + i] end
    K[nK + 1] = KEYS[#KEYS]
    for i = 1, nA do A[i] = ARGV[i] end
    for i = 1, na do XA[i] = ARGV[nA + i] end
    A[nA + 1] = g
    KEYS, ARGV, EXT_KEYS, EXT_ARGS = K, A, XK, XA
  end
end

-- Generation check (see keys.py): the last key is the generation pointer, the last argument the
-- generation the client planned for ('*': any, used while a reset builds a new generation).
-- Returns the IRSTALE error reply to give back when they differ, else nil.
local function staleGeneration()
  local genNow = redis.call('GET', KEYS[#KEYS]) or '0'
  if ARGV[#ARGV] ~= '*' and genNow ~= ARGV[#ARGV] then
    return redis.error_reply('IRSTALE ' .. genNow)
  end
  return nil
end

-- Bump a generation's write counter (_ir_|KEY:ver). A counter that does not exist yet starts
-- from the server clock in microseconds rather than from 1, so a counter deleted with its model
-- (destroyModel) and created again never repeats a value a reader may still hold.
local function bumpWriteCounter(key)
  if redis.call('INCR', key) == 1 then
    local t = redis.call('TIME')
    redis.call('SET', key, t[1] .. string.format('%06d', tonumber(t[2])))
  end
end

-- The value of a write counter, created first (from the server clock) when it does not exist:
-- what a read for the client cache compares with, and replies.
local function currentCounter(key)
  local counter = redis.call('GET', key)
  if not counter then
    bumpWriteCounter(key)
    counter = redis.call('GET', key)
  end
  return counter
end

-- Whether a field of an object holds what the client expects: 'v' .. value (that value) or
-- 'x' (no value). '?' (not known) never does, so the caller reports the current value.
local function holdsExpected(dataKey, field, expected)
  local cur = redis.call('HGET', dataKey, field)
  if expected == 'x' then
    return not cur
  end
  return expected ~= '?' and cur and ('v' .. cur) == expected or false
end

-- Check the expected values of entry i (parallel lists `fields` and `expected`). When any
-- differs, append to `conflicts`: i, the number of fields, then each field and its current
-- value (false when absent), so the client can plan the entry again.
local function addConflict(conflicts, i, dataKey, fields, expected)
  local ok = true
  for j = 1, #fields do
    if not holdsExpected(dataKey, fields[j], expected[j]) then
      ok = false
    end
  end
  if ok then
    return
  end
  conflicts[#conflicts + 1] = i
  conflicts[#conflicts + 1] = #fields
  for j = 1, #fields do
    conflicts[#conflicts + 1] = fields[j]
    conflicts[#conflicts + 1] = redis.call('HGET', dataKey, fields[j])
  end
end

-- Replies of writes kept for a retry: a write that inserts or deletes carries a token; its
-- script calls replayed() first and remember() before returning. ARGV[#ARGV - 1] is '1' when
-- the call carries a token, whose key (_ir_|KEY:op:TOKEN) is KEYS[#KEYS - 1].
local OP_REPLY_TTL = 30

local function replayed()
  if ARGV[#ARGV - 1] ~= '1' then
    return nil
  end
  local kept = redis.call('GET', KEYS[#KEYS - 1])
  if not kept then
    return nil
  end
  local reply = {'replay'}
  for part in string.gmatch(kept, '[^,]+') do
    reply[#reply + 1] = part
  end
  return reply
end

local function remember(reply)
  if ARGV[#ARGV - 1] == '1' then
    local parts = {}
    for i = 2, #reply do
      parts[i - 1] = tostring(reply[i])
    end
    redis.call('SET', KEYS[#KEYS - 1], table.concat(parts, ','), 'EX', OP_REPLY_TTL)
  end
  return reply
end

-- Sorted indexes (SORTED_FIELDS; sorting.py states the same rules in Python). A save or delete
-- gets, last before the token flag, the sorted fields as (field, kind) pairs and their count,
-- and their sorted sets last in KEYS before the token key.
local function sortedSpec()
  local nS = tonumber(ARGV[#ARGV - 2])
  local spec = {}
  local a = #ARGV - 2 - 2 * nS
  local k = #KEYS - 2 - nS
  for i = 1, nS do
    spec[i] = {field = ARGV[a + 2 * i - 2], kind = ARGV[a + 2 * i - 1], key = KEYS[k + i]}
  end
  return spec
end

local function pk20(pk)
  return string.rep('0', 20 - #pk) .. pk
end

local function daysFromCivil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- The score of a stored value in a numeric sorted set (a number as text, or '-inf' for no value).
local function sortScore(kind, v)
  if (not v) or v == 'IRNullType()' or v == '' then
    return '-inf'
  end
  local c = string.sub(kind, 1, 1)
  if c == 'i' or c == 'f' then
    return v
  elseif c == 'b' then
    local l = string.lower(v)
    if l == '1' or l == 'true' or l == 't' or l == 'yes' or l == 'y' or l == 'on' then
      return '1'
    end
    return '0'
  elseif c == 'x' then
    local places = tonumber(string.sub(kind, 2))
    local sign, ip, fp = string.match(v, '^%s*([-+]?)(%d*)%.?(%d*)%s*$')
    if not ip then
      return '-inf'
    end
    fp = string.sub(fp .. string.rep('0', places), 1, places)
    local digits = string.gsub(ip .. fp, '^0+', '')
    if digits == '' then
      return '0'
    end
    if sign == '-' then
      return '-' .. digits
    end
    return digits
  elseif c == 'd' then
    local y, m, d = string.match(v, '^(%d+)-(%d+)-(%d+)')
    return string.format('%.0f', daysFromCivil(tonumber(y), tonumber(m), tonumber(d)))
  elseif c == 't' then
    local y, mo, d, h, mi, s, rest = string.match(v, '^(%d+)-(%d+)-(%d+)[ T](%d+):(%d+):(%d+)(.*)$')
    if not y then
      y, mo, d = string.match(v, '^(%d+)-(%d+)-(%d+)')
      h, mi, s, rest = 0, 0, 0, ''
    end
    local us = 0
    local frac = string.match(rest, '^%.(%d+)')
    if frac then
      us = tonumber(string.sub(frac .. '000000', 1, 6))
    end
    local off = 0
    local sg, oh, om = string.match(rest, '([+-])(%d%d):?(%d%d)$')
    if sg then
      off = tonumber(oh) * 3600 + tonumber(om) * 60
      if sg == '-' then off = -off end
    end
    local secs = daysFromCivil(tonumber(y), tonumber(mo), tonumber(d)) * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s) - off
    return string.format('%.0f', secs * 1000000 + us)
  end
  return '-inf'
end

-- The member of object pk in a text sorted set: \1 value \0 PK20, or \0 PK20 for no value.
local function lexMember(v, pk)
  if (not v) or v == 'IRNullType()' then
    return '\0' .. pk20(pk)
  end
  return '\1' .. v .. '\0' .. pk20(pk)
end

-- Put object pk in the sorted sets of the fields it now holds (`values`: field -> stored value;
-- `old`: field -> the value before, read by the caller for text sets, or nil for a new object).
local function placeSorted(spec, pk, values, old)
  for i = 1, #spec do
    local s = spec[i]
    local v = values[s.field]
    if v ~= nil then
      if s.kind == 'l' then
        if old then
          redis.call('ZREM', s.key, lexMember(old[s.field], pk))
        end
        redis.call('ZADD', s.key, 0, lexMember(v, pk))
      else
        redis.call('ZADD', s.key, sortScore(s.kind, v), pk20(pk))
      end
    end
  end
end

-- Take object pk (its data at dataKey, about to be deleted) out of every sorted set.
local function unplaceSorted(spec, pk, dataKey)
  for i = 1, #spec do
    local s = spec[i]
    if s.kind == 'l' then
      redis.call('ZREM', s.key, lexMember(redis.call('HGET', dataKey, s.field), pk))
    else
      redis.call('ZREM', s.key, pk20(pk))
    end
  end
end

-- The index key registry of a generation (_ir_|KEY:idxkeys, see keys.py), kept by every script
-- that creates or empties index sets. `touched` maps index keys to true: keys the script created
-- or emptied (a key both created and emptied by one call ends as it is now). Only a registry that
-- exists is kept (data of the 6.0.3 layout has none until a pass builds it).
local function updateRegistry(registry, touched)
  if next(touched) == nil or redis.call('EXISTS', registry) == 0 then
    return
  end
  local add, rem = {}, {}
  for key in pairs(touched) do
    if redis.call('EXISTS', key) == 1 then
      add[#add + 1] = key
    else
      rem[#rem + 1] = key
    end
  end
  for i = 1, #add, 1000 do
    redis.call('SADD', registry, unpack(add, i, math.min(i + 999, #add)))
  end
  for i = 1, #rem, 1000 do
    redis.call('SREM', registry, unpack(rem, i, math.min(i + 999, #rem)))
  end
end

-- The index key registry of a save or delete: the key before the sorted sets (sortedSpec).
local function registryKey()
  return KEYS[#KEYS - 2 - tonumber(ARGV[#ARGV - 2])]
end

-- Rows of the read scripts (fetch.lua, query.lua): objects pks[from..to], skipping those whose
-- data is gone. rowsAll: {pk, {field, value, ...}, ...} (HGETALL); rowsFields: {pk, {v1, ...}, ...}
-- (HMGET of ARGV[firstField .. lastField]).
local function rowsAll(prefix, pks, from, to)
  local out = {}
  for i = from, to do
    local h = redis.call('HGETALL', prefix .. pks[i])
    if #h > 0 then
      out[#out + 1] = pks[i]
      out[#out + 1] = h
    end
  end
  return out
end

local function rowsFields(prefix, pks, from, to, firstField, lastField)
  local out = {}
  for i = from, to do
    local key = prefix .. pks[i]
    local vals = redis.call('HMGET', key, unpack(ARGV, firstField, lastField))
    local any = false
    for m = 1, #vals do
      if vals[m] then any = true break end
    end
    if any or redis.call('EXISTS', key) == 1 then
      out[#out + 1] = pks[i]
      out[#out + 1] = vals
    end
  end
  return out
end

-- One row for 'random': the match at fraction r of the list, or the next one whose data exists.
local function randomRow(prefix, pks, r)
  local n = #pks
  if n == 0 then return {} end
  local start = math.floor(tonumber(r) * n) + 1
  if start > n then start = n end
  for step = 0, n - 1 do
    local pk = pks[((start - 1 + step) % n) + 1]
    local h = redis.call('HGETALL', prefix .. pk)
    if #h > 0 then return {pk, h} end
  end
  return {}
end

-- The reply of a read of rows: all of them, or above `limit` (> 0) {'chunked', write counter,
-- every pk, the first `limit` rows}; rows.lua reads the rest while the counter is unchanged.
-- A missing counter (data of the 6.0.3 layout) is created first, so that the counter a later
-- destroyModel deletes can never look unchanged to rows.lua.
local function rowsReply(pks, limit, rows, counterKey)
  if limit > 0 and #pks > limit then
    return {'chunked', currentCounter(counterKey), pks, rows(1, limit)}
  end
  return rows(1, #pks)
end

-- The pks that are (keep = 1) or are not (keep = 0) members of setKey (SMISMEMBER, 1000 at a time).
local function members(pks, setKey, keep)
  local out = {}
  local n = #pks
  local i = 1
  while i <= n do
    local j = math.min(i + 999, n)
    local flags = redis.call('SMISMEMBER', setKey, unpack(pks, i, j))
    for m = 1, #flags do
      if flags[m] == keep then
        out[#out + 1] = pks[i + m - 1]
      end
    end
    i = j + 1
  end
  return out
end
