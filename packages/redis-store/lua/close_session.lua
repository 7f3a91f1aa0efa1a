--[[
  Store.closeSession: deletes an open session; each participant still attached becomes ENDED.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  session id
  ARGV[3]  reason
  ARGV[4]  by: the participant who caused it, or "" for the server
  ARGV[5]  CloseOptions (JSON): ifStatus, cooldownUntil, blockEachOther
  Returns  the CloseResult (JSON); a miss carries `by`'s record as `caller` when there is one.
]]
local session_id = ARGV[2]
local options = cjson.decode(ARGV[5])

-- A close that missed: the caller's record as it is now, for it to answer from.
local function missed()
  if ARGV[4] ~= "" then
    local raw = redis.call("GET", key("u:", ARGV[4]))
    if raw ~= false then
      return '{"closed":false,"caller":' .. raw .. '}'
    end
  end
  return '{"closed":false}'
end

local session_raw = redis.call("GET", key("s:", session_id))
if session_raw == false then
  return missed()
end
local session = cjson.decode(session_raw)
if not is_null(options.ifStatus) and session.status ~= options.ifStatus then
  return missed()
end
redis.call("DEL", key("s:", session_id))
local by = cjson.null
if ARGV[4] ~= "" then
  by = ARGV[4]
end
local persons = session.persons
if is_null(persons) then
  persons = session.browsers
end
local ended = {}
for i = 1, 2 do
  local id = session.participants[i]
  local u = get_user(id)
  if attached(u, session_id) then
    local partner = persons[3 - i]
    local avoid = {}
    if not is_null(u.avoid) then
      for j = 1, #u.avoid do
        avoid[j] = u.avoid[j]
      end
    end
    if options.blockEachOther == true then
      avoid[#avoid + 1] = { person = partner, ["until"] = cjson.null }
    elseif not is_null(options.cooldownUntil) then
      avoid[#avoid + 1] = { person = partner, ["until"] = options.cooldownUntil }
    end
    local next = identity(u)
    next.state = "ENDED"
    next.space = session.space
    next.intent = u.intent
    copy_search(u, next)
    next.avoid = nil
    if #avoid > 0 then
      next.avoid = avoid
    end
    next.sessionId = session_id
    next.ended = { sessionId = session_id, reason = ARGV[3], by = by }
    ended[#ended + 1] = put_user(u, next)
  end
end
session.status = "CLOSED"
return '{"closed":true,"session":' .. cjson.encode(session) .. ',"ended":['
  .. table.concat(ended, ",") .. ']}'
