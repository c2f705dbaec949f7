-- wrk script: a mix of board reads (the read workload's query) and updateTask status
-- changes on the board's tasks, the writes spread over the tasks in turn.
-- Env: TOKEN, BOARD_ID, TASK_IDS (comma-separated), WRITE_PERCENT (default 10).
-- A response counts as an error unless it is HTTP 200 without "errors" in the body
-- (a version conflict would be one: the writes send no expectedVersion).
local token = os.getenv("TOKEN")
local board_id = os.getenv("BOARD_ID")
local task_list = os.getenv("TASK_IDS")
if not token or not board_id or not task_list then
  error("mixed.lua: set TOKEN, BOARD_ID and TASK_IDS")
end
local write_percent = tonumber(os.getenv("WRITE_PERCENT") or "10")
local tasks = {}
for id in string.gmatch(task_list, "[^,]+") do table.insert(tasks, id) end

local read_body = '{"query":"query Board($id: ID!, $first: Int!) { board(id: $id) { tasks(first: $first) { ' ..
  'edges { node { id title description status deadline version supervisor { id email name } ' ..
  'assignee { id email name } } } } } }","variables":{"id":"' .. board_id .. '","first":50}}'
local update = 'mutation Update($id: ID!, $s: TaskStatus!) { updateTask(id: $id, input: {status: $s}) ' ..
  '{ id status version } }'
local statuses = {"TODO", "IN_PROGRESS", "IN_REVIEW", "DONE"}
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}

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

function request()
  n = n + 1
  if (n * 7919) % 100 < write_percent then
    writes = writes + 1
    local task = tasks[((n + id * 13) % #tasks) + 1]
    local status = statuses[(n % #statuses) + 1]
    local body = '{"query":"' .. update .. '","variables":{"id":"' .. task .. '","s":"' .. status .. '"}}'
    return wrk.format("POST", nil, headers, body)
  end
  return wrk.format("POST", nil, headers, read_body)
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
  io.write(string.format("CHECK non200=%d graphql_errors=%d socket_errors=%d writes=%d\n", bs, ge,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, w))
  if fb then io.write("CHECK first_bad=" .. fb .. "\n") end
end
