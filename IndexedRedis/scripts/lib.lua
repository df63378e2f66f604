-- Shared by every script (scripts/__init__.py puts it in front of each one).

-- Bump a generation's write counter (_ir_|KEY:ver). A counter that does not exist yet starts
-- from the server clock in microseconds rather than from 1, so a counter deleted with its model
-- (destroyModel) and created again never repeats a value a reader may still hold.
local function bumpWriteCounter(key)
  if redis.call('INCR', key) == 1 then
    local t = redis.call('TIME')
    redis.call('SET', key, t[1] .. string.format('%06d', tonumber(t[2])))
  end
end
