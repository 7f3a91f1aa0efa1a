--[[
  Store.createSessions: a match round's commits in one call. The text of create_session.lua runs
  here as the function `create_one(argv)` (src/scripts.ts wraps it), once per commit, in order:
  each answers exactly as its own script does, and one that fails does not stop the next.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2 …]  per commit three values: the session record, entry a, entry b (JSON)
  Returns  an array of CreateSessionResults (JSON strings), one per commit.
]]
local out = {}
for i = 2, #ARGV, 3 do
  out[#out + 1] = create_one({ P, ARGV[i], ARGV[i + 1], ARGV[i + 2] })
end
return out
