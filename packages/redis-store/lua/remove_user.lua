--[[
  Store.removeUser: deletes the user, its queue entry and its place on its node. Does not close
  its session (the caller closes it next).
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  user id
  Returns  the record as it was (JSON), or nil if already gone.
]]
local raw = redis.call("GET", key("u:", ARGV[2]))
if raw == false then
  return nil
end
local user = cjson.decode(raw)
unqueue(user)
redis.call("DEL", key("u:", user.id))
count(user, -1)
if not is_null(user.node) then
  redis.call("SREM", key("n:", user.node), user.id)
end
return raw
