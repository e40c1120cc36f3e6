-- wrk script for bench/edge_bench.sh: POST /process with a small body.
wrk.method = "POST"
wrk.path = "/process"
wrk.body = "helo wrld\n"
wrk.headers["Content-Type"] = "text/plain"
