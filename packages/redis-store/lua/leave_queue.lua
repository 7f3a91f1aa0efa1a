--[[
  Store.leaveQueue: WAITING -> IDLE, out of every bucket; with a seq, only that very search.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  user id
  ARGV[3]  seq, or "" for whatever search it is
  Returns  the updated user (JSON), or nil when it was not waiting (nothing changed).
]]
local user = get_user(ARGV[2])
if user == nil or user.state ~= "WAITING" then
  return nil
end
if ARGV[3] ~= "" and (is_null(user.entry) or user.entry.seq ~= tonumber(ARGV[3])) then
  return nil
end
unqueue(user)
return put_user(user, idle_record(user))
