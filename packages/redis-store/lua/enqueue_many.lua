--[[
  Store.enqueueMany: a match round's joiners enqueued, then the round's read, in one call.
  The text of enqueue.lua and peek.lua runs here as the functions `enqueue_one(argv)` and
  `peek_one(argv)` (src/scripts.ts wraps them), so each answers exactly as its own script does.
  KEYS[1]  P.."census"
  ARGV[1]  P, the key prefix
  ARGV[2]  n, how many requests
  ARGV[3 … 2+n]  the EnqueueRequests (JSON), in order
  ARGV[3+n]      how many entries per bucket to read
  ARGV[4+n …]    bucket names
  Returns  { results, heads }: results an array of n EnqueueResults (JSON strings), heads one array
           per bucket of queue entries (JSON strings), read after every enqueue above.
]]
local n = tonumber(ARGV[2])
local results = {}
for i = 1, n do
  results[i] = enqueue_one({ P, ARGV[2 + i] })
end
local peek_args = { P }
for i = 3 + n, #ARGV do
  peek_args[#peek_args + 1] = ARGV[i]
end
return { results, peek_one(peek_args) }
