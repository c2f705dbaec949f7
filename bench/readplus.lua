-- wrk script: the board read of ../shared/bench/read.lua with what the web board's cards
-- show besides (issue 17): the board's labels, each task's label ids and its comment count
-- (the web board's own shape: a card names its labels from the board's list). Ours only (the peers
-- implement neither); bench/run.py gives the board's first page labels and comments first.
-- Env: TOKEN, BOARD_ID. Errors are counted by checks.lua.
local token = os.getenv("TOKEN")
local board_id = os.getenv("BOARD_ID")
if not token or not board_id then
  error("readplus.lua: set TOKEN and BOARD_ID")
end
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
local query = "query Board($id: ID!, $first: Int!) { board(id: $id) { labels { id name color } " ..
  "tasks(first: $first) { edges { node { id title description status deadline version " ..
  "supervisor { id email name } assignee { id email name } labels { id } commentCount } } } } }"
local payload = '{"query":"' .. query .. '","variables":{"id":"' .. board_id .. '","first":50}}'

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "checks.lua")

function request()
  n = n + 1
  return wrk.format("POST", nil, headers, payload)
end
