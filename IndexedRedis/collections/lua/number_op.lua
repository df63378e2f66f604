-- Read-modify-write of a number held in a string key (the operators no INCRBY does).
-- KEYS[1] the key (absent: 0). ARGV[2] op: add, sub, mul, truediv, floordiv, mod;
-- ARGV[3] the operand; ARGV[4] 'int' or 'float'. Division by zero answers IRZERO.
-- Arithmetic is Lua's (IEEE doubles), as Python's float; ints are exact within +-2^53.
-- Returns the stored text of the result.
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur == nil then
  return redis.error_reply('IRVALUE the key does not hold a number')
end
local x = tonumber(ARGV[3])
local op = ARGV[2]
local v
if op == 'add' then v = cur + x
elseif op == 'sub' then v = cur - x
elseif op == 'mul' then v = cur * x
else
  if x == 0 then
    return redis.error_reply('IRZERO division by zero')
  end
  if op == 'truediv' then v = cur / x
  elseif op == 'floordiv' then v = math.floor(cur / x)
  else v = cur - math.floor(cur / x) * x end
end
local text
if ARGV[4] == 'int' then
  if v == 0 then v = 0 end  -- -0 (from 0 * -1) would print as '-0', which INCRBY cannot read
  text = string.format('%.0f', v)
else
  text = string.format('%.17g', v)
end
redis.call('SET', KEYS[1], text, 'KEEPTTL')
touch(KEYS[1])
return text
