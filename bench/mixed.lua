-- wrk script: a mix of board reads (the read workload's query) and updateTask status
-- changes on the board's tasks, the writes spread over the tasks in turn.  Each wrk
-- thread writes its own share of the tasks and moves a task to the status after the
-- one it last gave it, so every write is a change (but perhaps a task's first).
-- Env: TOKEN, BOARD_ID, TASK_IDS (comma-separated), WRITE_PERCENT (default 10).
-- Errors are counted by checks.lua (a version conflict would be one: the writes send
-- no expectedVersion).
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
local turns = {}  -- per task: how many times this thread has written it
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}

counts_writes = true
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "checks.lua")

function request()
  n = n + 1
  if (n * 7919) % 100 < write_percent then
    writes = writes + 1
    local task = tasks[((writes * 2 + id) % #tasks) + 1]  -- -t2: thread 0 the odd tasks, 1 the even
    local turn = (turns[task] or 0) + 1
    turns[task] = turn
    local status = statuses[(turn % #statuses) + 1]
    local body = '{"query":"' .. update .. '","variables":{"id":"' .. task .. '","s":"' .. status .. '"}}'
    return wrk.format("POST", nil, headers, body)
  end
  return wrk.format("POST", nil, headers, read_body)
end
