-- wrk script for trustmon_http_echo: POST an 83-byte body (the size of a one-CertID OCSP
-- request with SHA-1 CertID and no nonce) with Content-Type application/ocsp-request.
--   wrk -t1 -c50 -d5s -s http_echo_post.lua http://127.0.0.1:18090/ocsp
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/ocsp-request"
wrk.body = string.rep("A", 83)
