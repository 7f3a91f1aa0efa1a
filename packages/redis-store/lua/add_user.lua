--[[
  Store.addUser: creates the user if no user has this id.
  KEYS[1]  P.."census" (names the slot; see includes/records.lua for every key)
  ARGV[1]  P, the key prefix
  ARGV[2]  the user record (JSON)
  Returns  1 if created, 0 if a user with this id exists (nothing changed).
]]
local user = cjson.decode(ARGV[2])
if redis.call("EXISTS", key("u:", user.id)) == 1 then
  return 0
end
put_user(nil, user)
if not is_null(user.node) then
  redis.call("SADD", key("n:", user.node), user.id)
end
return 1
