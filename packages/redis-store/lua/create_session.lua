--[[
  Store.createSession: the commit of a match. Both entries must still wait as those very searches.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  the session record (JSON)
  ARGV[3]  entry a (JSON)
  ARGV[4]  entry b (JSON)
  Returns  the CreateSessionResult (JSON): { ok = true, users = [a, b] } or { ok = false, stale }.
]]
local session = cjson.decode(ARGV[2])
local a = cjson.decode(ARGV[3])
local b = cjson.decode(ARGV[4])
local stale = {}
for _, e in ipairs({ a, b }) do
  local u = get_user(e.userId)
  if u == nil or u.state ~= "WAITING" or is_null(u.entry) or u.entry.seq ~= e.seq then
    stale[#stale + 1] = e.userId
  end
end
local session_key = key("s:", session.id)
if #stale > 0 or a.userId == b.userId or redis.call("EXISTS", session_key) == 1 then
  if #stale == 0 then
    return '{"ok":false,"stale":[]}'
  end
  return cjson.encode({ ok = false, stale = stale })
end

local function matched(entry, partner)
  local user = get_user(entry.userId)
  local partner_user = get_user(partner.userId)
  unqueue(user)
  local shared = shared_topics(entry.topics, partner.topics)
  local next = identity(user)
  next.state = "MATCHED"
  next.space = session.space
  next.intent = user.intent
  copy_search(user, next)
  if #shared > 0 then
    next.sharedTopics = shared
  end
  next.sessionId = session.id
  next.partnerId = partner.userId
  if partner_user ~= nil then
    next.partnerNode = partner_user.node
  end
  next.partnerIntent = partner.intent
  next.enterBy = session.enterBy
  return put_user(user, next)
end

local users = '[' .. matched(a, b) .. ',' .. matched(b, a) .. ']'
-- A new session starts with nobody in the room and nobody having asked for media.
session.media = nil
session.status = "PENDING"
session.entered = {}
redis.call("SET", session_key, cjson.encode(session))
return '{"ok":true,"users":' .. users .. '}'
