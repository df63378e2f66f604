-- Model extensions: unique indexes (UNIQUE_FIELDS) and expiring objects (EXPIRE). Put after
-- lib.lua in front of every script; see docs/unique-expiry.rst for the guarantees.
--
-- A model with extensions gets, in every script call, a block the prologue of lib.lua takes off
-- (EXT_KEYS / EXT_ARGS):
--   EXT_KEYS  set of all pks, write counter, index key registry, expiry sorted set
--             (_ir_|KEY:exp: pk -> deadline in ms of the server clock, see deadlineScore), then one hash per unique
--             constraint (_ir_|KEY:uniq:F1[+F2...]: unique member -> pk)
--   EXT_ARGS  expiry on ('1'/'0'), sweep budget of write scripts, data key prefix, index key prefix,
--             sorted-set prefix, collection prefix, nIdx then nIdx pairs (field, '1' when indexed by
--             md5), nSort then pairs (field, kind), nColl then collection field names, nUniq then per
--             constraint its field count and fields; then the call's own extension arguments
--             (EXT.dynArg onward).
--
-- An object past its deadline is invisible at once: every read leaves out the pks the expiry set
-- holds with a deadline <= the server's clock (TIME), in the same script. Its keys are removed by
-- purgeDue, which writes and reads call for a bounded number of entries, and by purge.lua.
-- Removing an object derives its index keys from its stored values, as the client does (md5hex for
-- fields indexed by hash), so those keys are not in KEYS; they all start with the model's own
-- prefix.
local EXT = nil
if EXT_KEYS then
  local A = EXT_ARGS
  local x = {keysKey = EXT_KEYS[1], verKey = EXT_KEYS[2], registry = EXT_KEYS[3], expKey = EXT_KEYS[4],
    expiry = A[1] == '1', sweep = tonumber(A[2]), dataPrefix = A[3], idxPrefix = A[4], sortPrefix = A[5],
    collPrefix = A[6], idx = {}, sort = {}, coll = {}, uniq = {}}
  local a = 7
  local n = tonumber(A[a]); a = a + 1
  for i = 1, n do x.idx[i] = {field = A[a], hashed = A[a + 1] == '1'}; a = a + 2 end
  n = tonumber(A[a]); a = a + 1
  for i = 1, n do x.sort[i] = {field = A[a], kind = A[a + 1], key = x.sortPrefix .. A[a]}; a = a + 2 end
  n = tonumber(A[a]); a = a + 1
  for i = 1, n do x.coll[i] = A[a]; a = a + 1 end
  n = tonumber(A[a]); a = a + 1
  for i = 1, n do
    local nf = tonumber(A[a]); a = a + 1
    local fs = {}
    for j = 1, nf do fs[j] = A[a]; a = a + 1 end
    x.uniq[i] = {fields = fs, key = EXT_KEYS[4 + i]}
  end
  x.dynArg = a
  EXT = x
end

-- md5 as lowercase hex (the index value of a field indexed by hash; Lua in Redis has no md5).
-- Built on first use: fakeredis' Lua has no bit library, and models without md5-indexed fields
-- never need it.
local md5impl = nil
local function makeMd5()
  local band, bor, bxor, bnot, rshift, rol, tobit = bit.band, bit.bor, bit.bxor, bit.bnot, bit.rshift, bit.rol, bit.tobit
  local K = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
  }
  for i = 1, 64 do K[i] = tobit(K[i]) end
  local S = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21}
  local function le32(n)
    return string.char(n % 256, math.floor(n / 256) % 256, math.floor(n / 65536) % 256, math.floor(n / 16777216) % 256)
  end
  return function(msg)
    local len = #msg
    local bits = len * 8
    msg = msg .. '\128' .. string.rep('\0', (55 - len) % 64) .. le32(bits % 4294967296) .. le32(math.floor(bits / 4294967296))
    local a0, b0, c0, d0 = tobit(0x67452301), tobit(0xefcdab89), tobit(0x98badcfe), tobit(0x10325476)
    local X = {}
    for chunk = 1, #msg, 64 do
      for j = 0, 15 do
        local b1, b2, b3, b4 = string.byte(msg, chunk + 4 * j, chunk + 4 * j + 3)
        X[j] = tobit(b1 + b2 * 256 + b3 * 65536 + b4 * 16777216)
      end
      local A, B, C, D = a0, b0, c0, d0
      for i = 0, 63 do
        local F, g
        if i < 16 then
          F = bor(band(B, C), band(bnot(B), D)); g = i
        elseif i < 32 then
          F = bor(band(D, B), band(bnot(D), C)); g = (5 * i + 1) % 16
        elseif i < 48 then
          F = bxor(B, bxor(C, D)); g = (3 * i + 5) % 16
        else
          F = bxor(C, bor(B, bnot(D))); g = (7 * i) % 16
        end
        local t = D
        D = C
        C = B
        B = tobit(B + rol(tobit(A + F + K[i + 1] + X[g]), S[i + 1]))
        A = t
      end
      a0, b0, c0, d0 = tobit(a0 + A), tobit(b0 + B), tobit(c0 + C), tobit(d0 + D)
    end
    local out = {}
    for _, w in ipairs({a0, b0, c0, d0}) do
      for i = 0, 3 do out[#out + 1] = string.format('%02x', band(rshift(w, 8 * i), 255)) end
    end
    return table.concat(out)
  end
end

local function md5hex(msg)
  if not md5impl then md5impl = makeMd5() end
  return md5impl(msg)
end

-- The server clock in milliseconds, read once per call.
local NOW_MS = nil
local function nowMs()
  if not NOW_MS then
    local t = redis.call('TIME')
    NOW_MS = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return NOW_MS
end

local function msText(n)
  return string.format('%.0f', n)
end

-- The score of a deadline in the expiry set: the deadline in ms, plus a fraction below 1 that tells
-- apart the objects of one call (equal scores make each ZADD several times slower). An object is
-- past its deadline when the whole part of its score is <= the clock (dueScore: '(' .. now + 1).
local function deadlineScore(ms, i)
  return msText(ms) .. string.sub(string.format('%.12f', (1 + (i - 1) % 4095) / 4096), 2)
end

local function dueScore()
  return '(' .. msText(nowMs() + 1)
end

-- The member of a unique constraint u for an object whose stored values get(field) gives (nil or
-- false when absent), or nil when a value is absent, null or empty (those are never unique).
local UNIQUE_NULL = 'IRNullType()'
local function uniqueMember(u, get)
  local fs = u.fields
  if #fs == 1 then
    local v = get(fs[1])
    if (not v) or v == UNIQUE_NULL or v == '' then return nil end
    return v
  end
  local parts = {}
  for j = 1, #fs do
    local v = get(fs[j])
    if (not v) or v == UNIQUE_NULL or v == '' then return nil end
    parts[j] = #v .. ':' .. v
  end
  return table.concat(parts)
end

-- The member of constraint u for the object stored at dataKey (uniqueMember of its values).
local function storedMember(u, dataKey)
  return uniqueMember(u, function(f) return redis.call('HGET', dataKey, f) end)
end

-- Take object pk out of every unique hash that names it (get: its stored values).
local function uniqueRelease(pk, get)
  for i = 1, #EXT.uniq do
    local u = EXT.uniq[i]
    local m = uniqueMember(u, get)
    if m and redis.call('HGET', u.key, m) == pk then
      redis.call('HDEL', u.key, m)
    end
  end
end

-- Objects past their deadline, read once per call: DUE[pk] = true, DUE_N of them.
local DUE, DUE_N = nil, 0
local function dueNow()
  if not DUE then
    DUE, DUE_N = {}, 0
    if EXT and EXT.expiry then
      local list = redis.call('ZRANGEBYSCORE', EXT.expKey, '-inf', dueScore())
      for i = 1, #list do DUE[list[i]] = true end
      DUE_N = #list
    end
  end
  return DUE, DUE_N
end

local function isDue(pk)
  if not (EXT and EXT.expiry) then return false end
  local s = redis.call('ZSCORE', EXT.expKey, pk)
  return s and math.floor(tonumber(s)) <= nowMs() or false
end

-- pks without those past their deadline.
local function dropDue(pks)
  local due, n = dueNow()
  if n == 0 then return pks end
  local out = {}
  for i = 1, #pks do
    if not due[pks[i]] then out[#out + 1] = pks[i] end
  end
  return out
end

-- Remove object pk and everything that names it: its index entries (derived from its stored
-- values), sorted-set members, unique entries, owned collections, data, and its expiry entry.
-- `touched` collects the index keys emptied here (for updateRegistry).
local function purgeObject(pk, touched)
  local x = EXT
  local dataKey = x.dataPrefix .. pk
  local h = redis.call('HGETALL', dataKey)
  local vals = {}
  for i = 1, #h, 2 do vals[h[i]] = h[i + 1] end
  for i = 1, #x.idx do
    local f = x.idx[i]
    local v = vals[f.field]
    if v then
      if f.hashed then v = md5hex(v) end
      local key = x.idxPrefix .. f.field .. ':' .. v
      if redis.call('SREM', key, pk) == 1 and redis.call('EXISTS', key) == 0 then touched[key] = true end
    end
  end
  for i = 1, #x.sort do
    local s = x.sort[i]
    if s.kind == 'l' then
      redis.call('ZREM', s.key, lexMember(vals[s.field], pk))
    else
      redis.call('ZREM', s.key, pk20(pk))
    end
  end
  uniqueRelease(pk, function(f) return vals[f] end)
  for i = 1, #x.coll do
    redis.call('DEL', x.collPrefix .. x.coll[i] .. ':' .. pk)
  end
  redis.call('DEL', dataKey)
  redis.call('SREM', x.keysKey, pk)
  redis.call('ZREM', x.expKey, pk)
end

-- Purge up to `budget` objects past their deadline (the earliest first); returns how many.
local function purgeDue(budget)
  if not (EXT and EXT.expiry) or not budget or budget <= 0 then return 0 end
  local list = redis.call('ZRANGEBYSCORE', EXT.expKey, '-inf', dueScore(), 'LIMIT', 0, budget)
  if #list == 0 then return 0 end
  local touched = {}
  for i = 1, #list do purgeObject(list[i], touched) end
  bumpWriteCounter(EXT.verKey)
  updateRegistry(EXT.registry, touched)
  DUE = nil
  return #list
end

-- Purge one object found past its deadline by the caller (a write that met it).
local function purgeOne(pk)
  local touched = {}
  purgeObject(pk, touched)
  bumpWriteCounter(EXT.verKey)
  updateRegistry(EXT.registry, touched)
  DUE = nil
end

-- Reads purge at most this many objects past their deadline (the rest they leave out).
local READ_SWEEP = 16
