-- Shared by bench/mixed.lua and bench/queries.lua (loaded with dofile): a response
-- counts as an error unless it is HTTP 200 without "errors" in the body; `done`
-- prints one CHECK line that bench/run.py reads, with the writes a script counted
-- in its global `writes` when it sets `counts_writes = true`.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  bad_status = 0
  gql_errors = 0
  writes = 0
  first_bad = nil
  n = 0
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
    if first_bad == nil then first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 200) end
  elseif string.find(body, '"errors"', 1, true) then
    gql_errors = gql_errors + 1
    if first_bad == nil then first_bad = string.sub(body, 1, 200) end
  end
end

function done(summary, latency, requests)
  local bs, ge, w, fb = 0, 0, 0, nil
  for _, t in ipairs(threads) do
    bs = bs + (t:get("bad_status") or 0)
    ge = ge + (t:get("gql_errors") or 0)
    w = w + (t:get("writes") or 0)
    fb = fb or t:get("first_bad")
  end
  local line = string.format("CHECK non200=%d graphql_errors=%d socket_errors=%d", bs, ge,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout)
  if counts_writes then line = line .. string.format(" writes=%d", w) end
  io.write(line .. "\n")
  if fb then io.write("CHECK first_bad=" .. fb .. "\n") end
end
