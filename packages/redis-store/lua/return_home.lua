--[[
  Store.returnHome: ENDED -> IDLE.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  user id
  Returns  the updated user (JSON), or nil when it was not ENDED (nothing changed).
]]
local user = get_user(ARGV[2])
if user == nil or user.state ~= "ENDED" then
  return nil
end
return put_user(user, idle_record(user))
