#!/usr/bin/env bats
# The operator's dashboard (/admin/) of a real clm-server with real TLS, seeded with
# devices: who may see it (401 asking for the admin key, 403 for the client key), the
# headers of every page, the counts it shows against the API's, paging, the CSRF token
# and the cross-site check of its one form, the request log; then in a real browser
# (headless Chromium driven by tests/browser/dashboard.py): counts, paging, search, a
# device's page and a click on Disable, with screenshots in CLM_TEST_ARTIFACTS (default
# BUILD/test-artifacts/dashboard).

load helpers

# Devices seeded; dev000002, dev000003 and dev000005 are disabled and dev000007 deleted.
SEEDED=250

setup_file() {
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  # Taken before start_server drops every CLM_* variable.
  export TEST_ARTIFACTS_DIR="${CLM_TEST_ARTIFACTS:-$TEST_BUILD_DIR/test-artifacts/dashboard}"
  use_build_path
  local dir="$BATS_FILE_TMPDIR/server" name mode
  t clm-server init --data-dir "$dir" --key-type ec-p256 2>/dev/null
  t clm-server seed --data-dir "$dir" --devices "$SEEDED" --keys 2 >/dev/null 2>&1
  start_server
  for name in dev000002:disable dev000003:disable dev000005:disable dev000007:delete; do
    mode=${name#*:}
    curl -sSf --noproxy '*' --max-time 20 --cacert "$SERVER_DIR/tls/ca.pem" \
      -u "$LICENSE_USER:$(<"$SERVER_DIR/admin.key")" -H 'Content-Type: application/json' \
      --data-binary "{\"mode\":\"$mode\",\"devicename\":\"${name%%:*}\"}" \
      "https://127.0.0.1:$SERVER_PORT/SWCLM/DeviceInfo" >/dev/null
  done
}

# page_request [CURL ARGS...] PATH: GET (or what the arguments say) PATH of the shared
# server with the admin key; API_STATUS, API_BODY and API_HEADERS as api_request sets them.
page_request() {
  local path=${!#}
  local args=("${@:1:$#-1}")
  API_STATUS=$(curl -sS --noproxy '*' --max-time 20 --cacert "$SERVER_DIR/tls/ca.pem" \
    -u "$LICENSE_USER:$(<"$ADMIN_KEY_FILE")" -o "$BATS_TEST_TMPDIR/page.body" \
    -D "$BATS_TEST_TMPDIR/page.headers" -w '%{http_code}' "${args[@]}" "https://127.0.0.1:$SERVER_PORT$path")
  API_BODY=$(<"$BATS_TEST_TMPDIR/page.body")
  API_HEADERS="$BATS_TEST_TMPDIR/page.headers"
}

# header NAME: the value of header NAME in API_HEADERS (without the CR).
header() {
  sed -n "s/^$1: //Ip" "$API_HEADERS" | tr -d '\r'
}

# shown ID: the text of the element with id ID in API_BODY.
shown() {
  sed -n "s/.*id=\"$1\"[^>]*>\([^<]*\)<.*/\1/p" <<<"$API_BODY" | head -n 1
}

# operator MODE DEVICENAME: the operator's DeviceInfo request for one device.
operator() {
  admin_request POST /SWCLM/DeviceInfo "$(jq -cn --arg m "$1" --arg d "$2" '{mode: $m, devicename: $d}')"
}

# state_of DEVICENAME: print the device's status as the API answers it.
state_of() {
  operator get "$1"
  jq -r .status <<<"$API_BODY"
}

# api_counts: print "valid disabled deleted" as the API's summary counts them.
api_counts() {
  admin_request POST /SWCLM/DeviceInfo '{"mode":"summary"}'
  jq -r '.devices | "\(.valid) \(.disabled) \(.deleted)"' <<<"$API_BODY"
}

# api_charts: print the figures of the summary's charts: the six expiry buckets, then
# the keys and certificates issued and rotated in its 30 days.
api_charts() {
  admin_request POST /SWCLM/DeviceInfo '{"mode":"summary"}'
  jq -r '[.credentials["expired", "15", "30", "60", "90", "later"],
          ([.per_day[].issued | tonumber] | add), ([.per_day[].rotated | tonumber] | add)] | join(" ")' \
    <<<"$API_BODY"
}

# token_of DEVICENAME: print the CSRF token of the device page's form.
token_of() {
  page_request "/admin/device?name=$1"
  sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' <<<"$API_BODY" | head -n 1
}

@test "/admin/ asks for the admin key (401, realm clm admin), refuses the client key (403), serves the admin key" {
  API_LICENSE=none api_request GET /admin/
  assert_equal "$API_STATUS" 401
  run grep -i '^WWW-Authenticate: Basic realm="clm admin"' "$API_HEADERS"
  assert_success
  run grep -i '^Content-Type: text/html; charset=utf-8' "$API_HEADERS"
  assert_success
  API_LICENSE=wrong-key api_request GET /admin/
  assert_equal "$API_STATUS" 401
  api_request GET /admin/
  assert_equal "$API_STATUS" 403
  assert_regex "$API_BODY" 'needs the admin license key'
  api_request GET /admin/device?name=dev000001
  assert_equal "$API_STATUS" 403
  api_request POST /admin/device 'name=dev000001&action=disable&csrf=x'
  assert_equal "$API_STATUS" 403
  admin_request GET /admin/
  assert_equal "$API_STATUS" 200
  # /admin without the slash leads there.
  page_request /admin
  assert_equal "$API_STATUS" 301
  assert_equal "$(header Location)" /admin/
}

@test "every /admin/ page carries the security headers and no script" {
  local path
  for path in /admin/ '/admin/device?name=dev000001' '/admin/device?name=nobody' '/admin/?state=bogus'; do
    page_request "$path"
    assert_equal "$(header Content-Type)" 'text/html; charset=utf-8'
    assert_equal "$(header Content-Security-Policy)" \
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"
    assert_equal "$(header X-Content-Type-Options)" nosniff
    assert_equal "$(header Referrer-Policy)" no-referrer
    assert_equal "$(header Cache-Control)" no-store
    refute_regex "$API_BODY" '<script|javascript:|on(click|load|error)='
  done
  page_request '/admin/device?name=nobody'
  assert_equal "$API_STATUS" 404
  page_request '/admin/?state=bogus'
  assert_equal "$API_STATUS" 400
}

@test "the overview shows the API's counts and pages the devices 100 at a time" {
  local counts
  counts=$(api_counts)
  assert_equal "$counts" "$((SEEDED - 4)) 3 1"
  page_request /admin/
  assert_equal "$API_STATUS" 200
  assert_equal "$(shown count-valid) $(shown count-disabled) $(shown count-deleted)" "$counts"
  assert_equal "$(shown count-total)" "$SEEDED"
  assert_equal "$(shown count-expired)" 0
  assert_equal "$(grep -c '<tr><td><a href="/admin/device?name=' <<<"$API_BODY")" 100
  # The two charts show the summary's figures.
  local shown_charts k
  for k in bucket-expired bucket-15 bucket-30 bucket-60 bucket-90 bucket-later issued-total rotated-total; do
    shown_charts+="$(shown "$k") "
  done
  assert_equal "$(grep -c '<svg' <<<"$API_BODY")" 2
  assert_equal "$shown_charts" "$(api_charts) "
  # The next page is the API's next page.
  local next
  next=$(sed -n 's/.*id="next-page" href="\/admin\/?after=\([^"]*\)".*/\1/p' <<<"$API_BODY")
  assert_equal "$next" dev000100
  admin_request POST /SWCLM/DeviceInfo '{"mode":"search","after":"dev000100","limit":"100"}'
  local api_first
  api_first=$(jq -r '.deviceinfo[0].devicename' <<<"$API_BODY")
  page_request "/admin/?after=$next"
  assert_regex "$API_BODY" "^.*<tr><td><a href=\"/admin/device\\?name=$api_first\">$api_first</a>"
  assert_equal "$(grep -c '<tr><td><a href="/admin/device?name=' <<<"$API_BODY")" 100
  page_request "/admin/?after=dev000200"
  assert_equal "$(grep -c '<tr><td><a href="/admin/device?name=' <<<"$API_BODY")" 50
  refute_regex "$API_BODY" 'id="next-page"'
  # The search narrows as the API's does.
  page_request '/admin/?state=disabled'
  assert_equal "$(grep -o 'name=dev00000[0-9]">' <<<"$API_BODY" | tr -d '">' | sed 's/name=//' | tr '\n' ' ')" \
    "dev000002 dev000003 dev000005 "
}

@test "a device page shows its facts, its keys and its trail" {
  local deviceid
  operator get dev000001
  deviceid=$(jq -r .deviceid <<<"$API_BODY")
  page_request '/admin/device?name=dev000001'
  assert_equal "$API_STATUS" 200
  assert_equal "$(shown device-status)" valid
  assert_equal "$(shown device-id)" "$deviceid"
  # Its two seeded keys are named by the trail.
  assert_equal "$(grep -c '<td>key</td><td>create</td>' <<<"$API_BODY")" 2
  assert_regex "$API_BODY" 'id="disable-button"'
  page_request '/admin/device?name=dev000007'
  assert_equal "$(shown device-status)" deleted
  refute_regex "$API_BODY" '<form method="post"'
}

@test "a POST without the page's token, with a wrong one, or from another site is 403 and changes nothing" {
  local token form='name=dev000004&action=disable'
  page_request -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$form" /admin/device
  assert_equal "$API_STATUS" 403
  assert_equal "$(header Content-Type)" 'text/html; charset=utf-8'
  page_request --data-binary "$form&csrf=$(printf '0%.0s' {1..64})" /admin/device
  assert_equal "$API_STATUS" 403
  token=$(token_of dev000004)
  assert_equal "${#token}" 64
  page_request -H 'Origin: https://evil.example' --data-binary "$form&csrf=$token" /admin/device
  assert_equal "$API_STATUS" 403
  page_request -H 'Sec-Fetch-Site: cross-site' --data-binary "$form&csrf=$token" /admin/device
  assert_equal "$API_STATUS" 403
  page_request -H 'Origin: null' --data-binary "$form&csrf=$token" /admin/device
  assert_equal "$API_STATUS" 403
  page_request -H 'Content-Type: text/plain' --data-binary "$form&csrf=$token" /admin/device
  assert_equal "$API_STATUS" 415
  page_request --data-binary "$form&csrf=$token&csrf=$token" /admin/device
  assert_equal "$API_STATUS" 400
  assert_equal "$(state_of dev000004)" valid
  # With the token (and this site's Origin) it is done, and the page says so.
  page_request -H "Origin: https://127.0.0.1:$SERVER_PORT" --data-binary "$form&csrf=$token" /admin/device
  assert_equal "$API_STATUS" 303
  assert_equal "$(header Location)" '/admin/device?name=dev000004&done=disable'
  assert_equal "$(state_of dev000004)" disabled
  page_request '/admin/device?name=dev000004&done=disable'
  assert_equal "$(shown device-status)" disabled
  assert_regex "$(shown notice)" '^Disabled'
  # Enabled again through the form, so the counts of the other tests hold.
  page_request --data-binary "name=dev000004&action=enable&csrf=$token" /admin/device
  assert_equal "$API_STATUS" 303
  assert_equal "$(state_of dev000004)" valid
}

@test "dashboard requests are logged with path, status and milliseconds, never a key or token" {
  local token
  token=$(token_of dev000001)
  page_request '/admin/?prefix=dev0001'
  wait_until 10 grep -q 'GET /admin/ 200 errorcode=0 [0-9.]*ms$' "$SERVER_LOG"
  run grep -c 'GET /admin/device 200 errorcode=0 [0-9.]*ms$' "$SERVER_LOG"
  assert_success
  run grep -F -e "$(<"$ADMIN_KEY_FILE")" -e "$token" -e "prefix=" "$SERVER_LOG"
  assert_failure
}

@test "in headless Chromium the dashboard shows the API's counts, pages, searches and disables a device" {
  command -v chromium >/dev/null || skip "chromium is not installed (apt-get install chromium)"
  /usr/bin/python3 -c 'import websocket' 2>/dev/null ||
    skip "python3-websocket is not installed (apt-get install python3-websocket)"
  local artifacts=$TEST_ARTIFACTS_DIR seen counts charts page2 search
  mkdir -p "$artifacts"
  rm -f "$artifacts"/*.png
  # What the API answers before the browser changes anything.
  counts=$(api_counts)
  charts=$(api_charts)
  admin_request POST /SWCLM/DeviceInfo '{"mode":"search","after":"dev000100","limit":"100"}'
  page2=$(jq -c '[.deviceinfo[].devicename]' <<<"$API_BODY")
  admin_request POST /SWCLM/DeviceInfo '{"mode":"search","prefix":"dev00001"}'
  search=$(jq -c '[.deviceinfo[] | [.devicename, .status]]' <<<"$API_BODY")
  run timeout 120 /usr/bin/python3 "$BATS_TEST_DIRNAME/../browser/dashboard.py" --url "https://127.0.0.1:$SERVER_PORT" \
    --admin-key-file "$ADMIN_KEY_FILE" --cert "$SERVER_DIR/tls/server.pem" --device dev000011 --prefix dev00001 \
    --artifacts "$artifacts" --profile "$BATS_TEST_TMPDIR/chromium"
  if ((status != 0)); then
    cat "$BATS_TEST_TMPDIR/chromium/chromium.log" >&2 || true
  fi
  assert_success
  seen=$output
  # The counts shown are the API's; no script on the page, no console error or CSP report.
  assert_equal "$(jq -r '.overview.counts | "\(.valid) \(.disabled) \(.deleted)"' <<<"$seen")" "$counts"
  assert_equal "$(jq -r .overview.counts.total <<<"$seen")" "$SEEDED"
  assert_equal "$(jq -r '[.overview.buckets["expired", "15", "30", "60", "90", "later"], .overview.issued_total,
    .overview.rotated_total] | join(" ")' <<<"$seen")" "$charts"
  assert_equal "$(jq -r '.overview.charts, .overview.scripts, (.overview.rows | length), .overview.next' <<<"$seen" |
    tr '\n' ' ')" "2 0 100 true "
  assert_equal "$(jq -c .console <<<"$seen")" '[]'
  # The next page and the search are the API's.
  assert_equal "$(jq -c '[.page2.rows[].name]' <<<"$seen")" "$page2"
  assert_equal "$(jq -c '[.search.rows[] | [.name, .state]]' <<<"$seen")" "$search"
  # The device's page, before and after the click on Disable; the API agrees.
  assert_equal "$(jq -r '.device_before | "\(.name) \(.status) \(.disable_button)"' <<<"$seen")" "dev000011 valid true"
  assert_equal "$(jq -r '.device_after | "\(.name) \(.status) \(.enable_button)"' <<<"$seen")" "dev000011 disabled true"
  assert_regex "$(jq -r .device_after.notice <<<"$seen")" '^Disabled'
  assert_equal "$(state_of dev000011)" disabled
  operator get dev000011
  assert_equal "$(jq -c '[.events[] | select(.api == "DeviceInfo") | [.mode, .by]]' <<<"$API_BODY")" \
    '[["disable","admin"]]'
  # A screenshot of each step.
  local png
  for png in 1-overview 2-next-page 3-search 4-device 5-disabled; do
    assert_file_not_empty "$artifacts/$png.png"
  done
  operator enable dev000011
}
