-- wrk script shared by every scenario of `make bench`.
--
-- BENCH_REQUESTS names a file of prepared requests, one a line, fields separated by TABs:
--   METHOD <TAB> PATH <TAB> BEARER-TOKEN-or-"-" <TAB> JSON-BODY-or-"-"
-- Each wrk thread takes every n-th line (n = thread count) and cycles through its share,
-- so the order of the file is the order the server sees (e.g. 2,000 different workers).
-- At the end it prints one line "BENCH_RESULT {json}" with throughput, latency percentiles,
-- counts by HTTP status and, for 4xx answers, counts by the API's error code.

local threads = {}
local counter = 0

local function load_lines(path)
  local out = {}
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    if #line > 0 then out[#out + 1] = line end
  end
  f:close()
  return out
end

local function split_tabs(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
  return fields
end

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end

function init(args)
  local lines = load_lines(os.getenv("BENCH_REQUESTS"))
  local n = tonumber(os.getenv("BENCH_THREADS") or "1")
  prepared = {}
  for i = thread_index + 1, #lines, n do
    local f = split_tabs(lines[i])
    local headers = {["Accept-Language"] = "en"}
    if f[3] ~= "-" then headers["Authorization"] = "Bearer " .. f[3] end
    local body = nil
    if f[4] ~= "-" then
      body = f[4]
      headers["Content-Type"] = "application/json"
    end
    prepared[#prepared + 1] = wrk.format(f[1], f[2], headers, body)
  end
  nxt = 0
  statuses = {}
  codes = {}
end

function request()
  nxt = nxt % #prepared + 1
  return prepared[nxt]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status >= 400 and body then
    local code = body:match('"code"%s*:%s*"([%w_]+)"')
    if code then
      local k = key .. ":" .. code
      codes[k] = (codes[k] or 0) + 1
    end
  end
end

local function json_map(t)
  local parts = {}
  for k, v in pairs(t) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local all_status, all_codes = {}, {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses") or {}) do all_status[k] = (all_status[k] or 0) + v end
    for k, v in pairs(thread:get("codes") or {}) do all_codes[k] = (all_codes[k] or 0) + v end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "statuses": %s, "codes": %s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout, json_map(all_status), json_map(all_codes)))
end
