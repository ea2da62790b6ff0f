-- SPDX-License-Identifier: MIT
-- wrk script for tests/web/test_load.py: alternate the two endpoints a dashboard polls most.
local paths = { "/api/summary", "/api/flows?top=20&sort=bytes" }
local i = 0

request = function()
	i = i + 1
	return wrk.format("GET", paths[(i % #paths) + 1])
end
