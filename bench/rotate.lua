-- wrk script: rotate over a file of requests, one per line.
--   wrk ... -s bench/rotate.lua http://127.0.0.1:PORT -- <requests file> [cookie]
-- A line is "<path>" (GET) or "<path>\t<form body>" (POST, urlencoded).
-- Every request carries Host: mall.bench (the bench's MALL_BASE_DOMAIN) and the cookie if given.
local lines = {}
local cookie = nil
local index = 0

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
  for line in file:lines() do
    if #line > 0 then lines[#lines + 1] = line end
  end
  file:close()
  assert(#lines > 0, "no requests in " .. args[1])
  if args[2] and #args[2] > 0 then cookie = args[2] end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  index = math.random(#lines) - 1 -- each thread starts somewhere else
end

function request()
  index = index % #lines + 1
  local line = lines[index]
  -- A browser's User-Agent: the mall gives no affiliate cookie to an empty one (a bot's).
  local headers = { ["Host"] = "mall.bench", ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench" }
  if cookie then headers["Cookie"] = cookie end
  local tab = line:find("\t", 1, true)
  if tab then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", line:sub(1, tab - 1), headers, line:sub(tab + 1))
  end
  return wrk.format("GET", line, headers)
end
