-- Shared by every collection script. ARGV[1] is the TTL in milliseconds (0: none).
local TTL = tonumber(ARGV[1])

local function touch(key)
  if TTL > 0 and redis.call('EXISTS', key) == 1 then
    redis.call('PEXPIRE', key, TTL)
  end
end

-- RPUSH items[from..to] in batches (unpack has a limit on arguments).
local function pushRange(key, items, from, to)
  local i = from
  while i <= to do
    local j = math.min(i + 999, to)
    redis.call('RPUSH', key, unpack(items, i, j))
    i = j + 1
  end
end

-- Replace the whole list with items.
local function rewrite(key, items)
  redis.call('DEL', key)
  pushRange(key, items, 1, #items)
  touch(key)
end

-- Python's slice.indices(n): start, stop, step from the strings given ('' for None).
local function sliceIndices(n, start, stop, step)
  step = (step == '' and 1) or tonumber(step)
  if step == 0 then
    return redis.error_reply('IRVALUE slice step cannot be zero')
  end
  local lower, upper
  if step > 0 then lower, upper = 0, n else lower, upper = -1, n - 1 end
  local function fix(v, default)
    if v == '' then return default end
    v = tonumber(v)
    if v < 0 then
      v = v + n
      if v < lower then v = lower end
    elseif v > upper then
      v = upper
    end
    return v
  end
  local a = fix(start, step < 0 and upper or lower)
  local b = fix(stop, step < 0 and lower or upper)
  return a, b, step
end

-- The 0-based positions a slice covers.
local function slicePositions(a, b, step)
  local out = {}
  if step > 0 then
    local i = a
    while i < b do out[#out + 1] = i; i = i + step end
  else
    local i = a
    while i > b do out[#out + 1] = i; i = i + step end
  end
  return out
end
