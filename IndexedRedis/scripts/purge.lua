-- Purge objects past their deadline (EXPIRE; ext.lua), the earliest first.
--
-- ARGV[1]  at most this many objects
-- The model's extension block, the generation pointer and the planned generation come last.
-- Replies {purged, still due}: how many were removed, and how many past their deadline remain.
local stale = staleGeneration()
if stale then
  return stale
end
if not (EXT and EXT.expiry) then
  return {0, 0}
end
local n = purgeDue(tonumber(ARGV[1]))
local _, left = dueNow()
return {n, left}
