--[[
  Store.enqueue: a new search (fresh seq) in the request's buckets; the user becomes WAITING.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  the EnqueueRequest (JSON)
  Returns  the EnqueueResult (JSON): { ok = true, user, entry } or { ok = false, reason, user? }.
]]
local req = cjson.decode(ARGV[2])
local raw = redis.call("GET", key("u:", req.userId))
if raw == false then
  return cjson.encode({ ok = false, reason = "no_user" })
end
local user = cjson.decode(raw)
if not contains(req.from, user.state) then
  return '{"ok":false,"reason":"state","user":' .. raw .. "}"
end
local browser_field = req.space .. ":" .. user.browserId
local holder = redis.call("HGET", P .. "wb", browser_field)
if holder ~= false and holder ~= user.id then
  return '{"ok":false,"reason":"browser_waiting","user":' .. raw .. "}"
end

local seq = redis.call("INCR", P .. "seq")
local avoid = {}
if not is_null(user.avoid) then
  for i = 1, #user.avoid do
    local a = user.avoid[i]
    if a["until"] == cjson.null or a["until"] > req.since then
      avoid[#avoid + 1] = a
    end
  end
end
local search = {}
if not is_null(req.topics) and #req.topics > 0 then
  search.topics = req.topics
end
if req.onlyMine == true then
  search.onlyMine = true
end
if #avoid > 0 then
  search.avoid = avoid
end
if not is_null(req.tier) then
  search.tier = req.tier
end
if not is_null(req.blocked) and #req.blocked > 0 then
  search.blocked = req.blocked
end

local entry = {
  userId = user.id,
  browserId = user.browserId,
  person = user.person,
  space = req.space,
  intent = req.intent,
  since = req.since,
  seq = seq,
}
for k, v in pairs(search) do
  entry[k] = v
end
local next = identity(user)
next.state = "WAITING"
next.space = req.space
next.intent = req.intent
for k, v in pairs(search) do
  next[k] = v
end
next.entry = entry

-- A re-enqueue (if `from` allows WAITING) replaces the old search in every bucket.
unqueue(user)
local entry_raw = cjson.encode(entry)
local ub = key("ub:", user.id)
for i = 1, #req.buckets do
  local name = req.buckets[i]
  if redis.call("SADD", ub, name) == 1 then
    redis.call("ZADD", key("b:", name), redis.call("INCR", P .. "arrival"), user.id)
  end
end
redis.call("SET", key("e:", user.id), entry_raw)
redis.call("HSET", P .. "wb", browser_field, user.id)
return '{"ok":true,"user":' .. put_user(user, next) .. ',"entry":' .. entry_raw .. "}"
