-- wrk script of bench/server-load.sh and bench/cert.sh: the request comes from the environment, and one
-- machine-readable line with the figures is printed at the end.
--   CLM_WRK_METHOD  GET (default) or POST
--   CLM_WRK_BODY    file holding the request body (sent as application/json)
--   CLM_WRK_AUTH    file holding the Authorization header value (licensed endpoints)

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    return nil
  end
  return v
end

wrk.method = env("CLM_WRK_METHOD") or "GET"
if env("CLM_WRK_BODY") then
  wrk.body = slurp(env("CLM_WRK_BODY"))
  wrk.headers["Content-Type"] = "application/json"
end
if env("CLM_WRK_AUTH") then
  wrk.headers["Authorization"] = (slurp(env("CLM_WRK_AUTH")):gsub("%s+$", ""))
end

-- Latencies in microseconds; errors.status counts answers with a status of 400 or more.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "clm-wrk-result requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
