-- wrk script: the API's other reads, in turn: the viewer with settings, the boards list,
-- my tasks (20, ordered by deadline), one task with its board, the board's members,
-- and the board's first task page with its total count.
-- Env: TOKEN, BOARD_ID, TASK_IDS (comma-separated).
-- Errors are counted by checks.lua.
local token = os.getenv("TOKEN")
local board_id = os.getenv("BOARD_ID")
local task_list = os.getenv("TASK_IDS")
if not token or not board_id or not task_list then
  error("queries.lua: set TOKEN, BOARD_ID and TASK_IDS")
end
local tasks = {}
for id in string.gmatch(task_list, "[^,]+") do table.insert(tasks, id) end
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}

local function body(query, variables)
  return '{"query":"' .. query .. '","variables":' .. variables .. '}'
end

local fixed = {
  body("{ viewer { user { id email name } notificationSettings { emailOnTaskChange smsOnTaskChange } } }", "{}"),
  body("{ boards { id name viewerRole lastSeq } }", "{}"),
  body("query { myTasks(first: 20, orderBy: {field: DEADLINE}) { totalCount edges { node { id title status " ..
       "deadline board { id name } } } pageInfo { hasNextPage endCursor } } }", "{}"),
  body("query($b: ID!) { board(id: $b) { members { role addedAt user { id email name } } } }",
       '{"b":"' .. board_id .. '"}'),
  body("query($b: ID!) { board(id: $b) { tasks(first: 20, orderBy: {field: TITLE}) { totalCount edges { cursor " ..
       "node { id title status } } } } }", '{"b":"' .. board_id .. '"}'),
}
local task_query = "query($t: ID!) { task(id: $t) { id title description status version board { id name } " ..
  "supervisor { id email } assignee { id email } } }"

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "checks.lua")

function request()
  n = n + 1
  local k = n % (#fixed + 1)
  if k == #fixed then
    return wrk.format("POST", nil, headers, body(task_query, '{"t":"' .. tasks[(n % #tasks) + 1] .. '"}'))
  end
  return wrk.format("POST", nil, headers, fixed[k + 1])
end
