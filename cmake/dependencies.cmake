# Every dependency comes from a Debian 12 package (see scripts/install-deps.sh).
find_package(OpenSSL 3.0 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent_core libevent_extra libevent_pthreads)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(tomlplusplus 3 REQUIRED)
find_package(CLI11 2 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(Threads REQUIRED)
# Webhook POSTs over http:// and https:// (responder/watch)
find_package(CURL 7.85 REQUIRED)
# Trusted-list XML and its XAdES signature (tsl/)
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
pkg_check_modules(XMLSEC REQUIRED IMPORTED_TARGET xmlsec1-openssl)
# Statistics days in a configured time zone (responder/stats): the system tz database
# through Howard Hinnant's date library (date::date-tz, built with USE_OS_TZDB).
find_package(date REQUIRED)
