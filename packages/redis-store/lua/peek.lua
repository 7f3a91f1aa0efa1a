--[[
  Store.peek: the first entries of each bucket, oldest first, in the order of the buckets asked.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  how many per bucket
  ARGV[3…] bucket names
  Returns  one array per bucket of queue entries (JSON strings).
]]
local per = tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local ids = {}
  if per > 0 then
    ids = redis.call("ZRANGE", key("b:", ARGV[i]), 0, per - 1)
  end
  local entries = {}
  for j = 1, #ids do
    local raw = redis.call("GET", key("e:", ids[j]))
    if raw ~= false then
      entries[#entries + 1] = raw
    end
  end
  out[#out + 1] = entries
end
return out
