-- An authenticated GET of the URL's path, each request with a random person's token.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require("common")

function request()
  return wrk.format("GET", wrk.path, token_headers())
end
