--[[
  Shared by every store script (src/scripts.ts puts this text in front of each one, so a script
  stays one atomic EVALSHA). The mirror of packages/engine/src/memory-store.ts: the same records,
  built field by field as MemoryStore builds them, so the two stores answer alike (the
  differential test in test/differential.test.ts holds them to it).

  Keys, all under one hash tag so that every key of a deployment lives in one slot (`P` is the
  prefix, e.g. "{duet}:"):
    P.."u:"..id       string  a user record (JSON)
    P.."e:"..id       string  a waiting user's queue entry (JSON), what peek returns
    P.."ub:"..id      set     the buckets a waiting user is in
    P.."b:"..name     zset    a bucket: waiting user ids, scored by arrival (P.."arrival")
    P.."wb"           hash    space..":"..browserId -> the one user of that browser waiting there
    P.."s:"..id       string  an open session (JSON); deleted when it closes
    P.."n:"..node     set     the users whose socket is on that node (for reaping a dead node)
    P.."census"       hash    users per space and state: space.."|W", "|M", "|A", "|E", and
                              space.."|W|"..intent; a field at 0 is deleted
    P.."seq"          string  the search counter (QueueEntry.seq)
    P.."ver"          string  the user record version counter (UserRecord.version), started
                              at Redis's clock in µs (next_version)
    P.."arrival"      string  the bucket position counter (a bucket is first come, first served)

  Limits: cjson encodes an empty table as {} (the client turns a session's empty lists back into
  arrays) and numbers with 14 significant digits (clock milliseconds and counters are integers far
  below that).
]]
local P = ARGV[1]

local function key(kind, id)
  return P .. kind .. id
end

local function decode(raw)
  if raw == false or raw == nil then
    return nil
  end
  return cjson.decode(raw)
end

local function get_user(id)
  return decode(redis.call("GET", key("u:", id)))
end

local function get_session(id)
  return decode(redis.call("GET", key("s:", id)))
end

local function is_null(v)
  return v == nil or v == cjson.null
end

local function contains(list, value)
  if is_null(list) then
    return false
  end
  for i = 1, #list do
    if list[i] == value then
      return true
    end
  end
  return false
end

local STATE_FIELD = { WAITING = "W", MATCHED = "M", ACTIVE = "A", ENDED = "E" }

local function census_field(field, delta)
  local n = redis.call("HINCRBY", P .. "census", field, delta)
  if n == 0 then
    redis.call("HDEL", P .. "census", field)
  end
end

-- Counts (delta 1) or uncounts (delta -1) a user record in the census.
local function count(u, delta)
  if u == nil or u.state == "IDLE" or is_null(u.space) then
    return
  end
  census_field(u.space .. "|" .. STATE_FIELD[u.state], delta)
  if u.state == "WAITING" and not is_null(u.intent) then
    census_field(u.space .. "|W|" .. u.intent, delta)
  end
end

-- The next user record version. The counter starts at Redis's clock in microseconds, so that
-- after a restart that lost it, versions still only grow (a screen drops a view older than the
-- one it shows): true as long as the store made fewer than a million changes a second on average.
local function next_version()
  if redis.call("EXISTS", P .. "ver") == 0 then
    local t = redis.call("TIME")
    redis.call("SET", P .. "ver", t[1] .. string.format("%06d", tonumber(t[2])))
  end
  return redis.call("INCR", P .. "ver")
end

-- Stores `new` as the user's record with a fresh version, replacing `old` (nil for a new user)
-- in the census. Returns the stored JSON. The version is written by hand: cjson keeps only 14
-- significant digits, and a version has 16.
local function put_user(old, new)
  local version = next_version()
  new.version = nil
  local raw = cjson.encode(new)
  raw = string.sub(raw, 1, -2) .. ',"version":' .. string.format("%.0f", version) .. "}"
  redis.call("SET", key("u:", new.id), raw)
  count(old, -1)
  count(new, 1)
  return raw
end

-- Who a record is, kept through every state: id, browserId, person, node.
local function identity(u)
  return { id = u.id, browserId = u.browserId, person = u.person, node = u.node }
end

-- What a search carries forward (for a re-queue) through MATCHED, ACTIVE and ENDED.
local function copy_search(u, out)
  if not is_null(u.topics) then
    out.topics = u.topics
  end
  if u.onlyMine == true then
    out.onlyMine = true
  end
  if not is_null(u.avoid) and #u.avoid > 0 then
    out.avoid = u.avoid
  end
  if not is_null(u.tier) then
    out.tier = u.tier
  end
  if not is_null(u.blocked) then
    out.blocked = u.blocked
  end
  return out
end

-- IDLE keeps only what outlives a search: identity and cooldowns still in force.
local function idle_record(u)
  local out = identity(u)
  out.state = "IDLE"
  if not is_null(u.avoid) and #u.avoid > 0 then
    out.avoid = u.avoid
  end
  return out
end

-- Removes a user's queue entry from every bucket, and its browser's waiting place.
local function unqueue(u)
  local ub = key("ub:", u.id)
  local names = redis.call("SMEMBERS", ub)
  for i = 1, #names do
    redis.call("ZREM", key("b:", names[i]), u.id)
  end
  redis.call("DEL", ub, key("e:", u.id))
  if not is_null(u.entry) then
    local field = u.entry.space .. ":" .. u.browserId
    if redis.call("HGET", P .. "wb", field) == u.id then
      redis.call("HDEL", P .. "wb", field)
    end
  end
end

-- The tags `a` shares with `b`, in a's order (matcher.ts sharedTopics).
local function shared_topics(a, b)
  local out = {}
  if is_null(a) or is_null(b) then
    return out
  end
  for i = 1, #a do
    if contains(b, a[i]) then
      out[#out + 1] = a[i]
    end
  end
  return out
end

-- Whether a participant is still attached to the session (MATCHED or ACTIVE with it).
local function attached(u, session_id)
  return u ~= nil and u.sessionId == session_id and (u.state == "MATCHED" or u.state == "ACTIVE")
end
