--[[
  Store.enterSession: a participant still attached has entered; with both in, PENDING -> ACTIVE.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  session id
  ARGV[3]  user id
  ARGV[4]  the time (clock ms), recorded as activeAt when this call activates
  ARGV[5]  "earlier": the partner's id when it entered before without the store being told (the
           engine keeps a same-node pair's first enter), else "" (Store.enterSession)
  Returns  the EnterResult (JSON).
]]
local session_id = ARGV[2]
local user_id = ARGV[3]
local earlier = ARGV[5] or ""
local session_raw = redis.call("GET", key("s:", session_id))
local user_raw = redis.call("GET", key("u:", user_id))
if session_raw == false or user_raw == false then
  return '{"ok":false}'
end
local session = cjson.decode(session_raw)
local user = cjson.decode(user_raw)
if not contains(session.participants, user_id) or not attached(user, session_id) then
  return '{"ok":false}'
end
local first, second = session.participants[1], session.participants[2]
local partner_id = first
if first == user_id then
  partner_id = second
end
-- Activate only with both still attached: a partner that departed a moment ago is never brought
-- back (its session is about to close with `disconnected`).
local partner = get_user(partner_id)
-- The partner's own enter, kept by the engine until now: first in the list, as it came first.
local partner_earlier = earlier == partner_id and attached(partner, session_id)
  and not contains(session.entered, partner_id)
if not partner_earlier and contains(session.entered, user_id) then
  return '{"ok":true,"activated":false,"already":true,"session":' .. session_raw
    .. ',"users":[' .. user_raw .. ']}'
end
local entered = {}
for i = 1, #session.entered do
  entered[i] = session.entered[i]
end
if partner_earlier then
  entered[#entered + 1] = partner_id
end
if not contains(entered, user_id) then
  entered[#entered + 1] = user_id
end
session.entered = entered
if #entered < 2 or not attached(partner, session_id) then
  local raw = cjson.encode(session)
  redis.call("SET", key("s:", session_id), raw)
  return '{"ok":true,"activated":false,"already":false,"session":' .. raw
    .. ',"users":[' .. user_raw .. ']}'
end
session.status = "ACTIVE"
session.activeAt = tonumber(ARGV[4])
local raw = cjson.encode(session)
redis.call("SET", key("s:", session_id), raw)
local users = {}
for i, id in ipairs({ first, second }) do
  local u = get_user(id)
  local old = get_user(id)
  u.state = "ACTIVE"
  users[i] = put_user(old, u)
end
return '{"ok":true,"activated":true,"already":false,"session":' .. raw
  .. ',"users":[' .. users[1] .. ',' .. users[2] .. ']}'
