--[[
  Store.openSearch: opens topic search `seq` to anyone (entry.open) and adds it to the tail of
  one more bucket.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  user id
  ARGV[3]  seq of the search
  ARGV[4]  bucket name
  Returns  the updated user (JSON), or nil when nothing changed.
]]
local user = get_user(ARGV[2])
if user == nil or user.state ~= "WAITING" or is_null(user.entry) then
  return nil
end
local entry = user.entry
if entry.seq ~= tonumber(ARGV[3]) or entry.open == true then
  return nil
end
local ub = key("ub:", user.id)
if redis.call("SISMEMBER", ub, ARGV[4]) == 1 then
  return nil
end
entry.open = true
redis.call("SET", key("e:", user.id), cjson.encode(entry))
redis.call("SADD", ub, ARGV[4])
redis.call("ZADD", key("b:", ARGV[4]), redis.call("INCR", P .. "arrival"), user.id)
user.entry = entry
-- Same state, space and intent: the census nets out.
return put_user(user, user)
