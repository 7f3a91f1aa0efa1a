--[[
  Store.requestMedia: a participant still attached asks for media; ready once both have.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  session id
  ARGV[3]  user id
  Returns  the MediaResult (JSON).
]]
local session_id = ARGV[2]
local user_id = ARGV[3]
local session_raw = redis.call("GET", key("s:", session_id))
local user = get_user(user_id)
if session_raw == false or user == nil then
  return '{"ok":false}'
end
local session = cjson.decode(session_raw)
if not contains(session.participants, user_id) or not attached(user, session_id) then
  return '{"ok":false}'
end
if contains(session.media, user_id) then
  return '{"ok":true,"ready":false,"already":true,"session":' .. session_raw .. '}'
end
local media = {}
if not is_null(session.media) then
  for i = 1, #session.media do
    media[i] = session.media[i]
  end
end
media[#media + 1] = user_id
session.media = media
local raw = cjson.encode(session)
redis.call("SET", key("s:", session_id), raw)
local first, second = session.participants[1], session.participants[2]
local partner_id = first
if first == user_id then
  partner_id = second
end
local ready = #media == 2 and attached(get_user(partner_id), session_id)
return '{"ok":true,"already":false,"ready":' .. tostring(ready) .. ',"session":' .. raw .. '}'
