#!/usr/bin/env bash
# The simulator as a process, driven the way a test in another language would: `wechatpay sim
# --generate` in the background, requests signed with `wechatpay sign` and sent with curl
# (verifying the simulator's TLS certificate against its CA), answers checked with
# `wechatpay verify`. Needs bash, coreutils, sed, grep, curl and openssl.
#   usage: curl_test.sh WECHATPAY_BINARY
set -euo pipefail

W=$1
T=$(mktemp -d)
SIM_PID=
cleanup() {
    if [[ -n $SIM_PID ]]; then
        kill "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1: $2"; }
die() { echo "FATAL: $*" >&2; [[ -f $T/sim.err ]] && cat "$T/sim.err" >&2; exit 1; }

# ---- start the simulator -----------------------------------------------------------------
"$W" sim --generate "$T/sim" --max-seconds 600 >"$T/start" 2>"$T/sim.err" &
SIM_PID=$!
for _ in $(seq 1 300); do
    [[ -s $T/start ]] && break
    kill -0 "$SIM_PID" 2>/dev/null || die "wechatpay sim exited before printing its start line"
    sleep 0.1
done
start=$(head -n1 "$T/start")
[[ -n $start ]] || die "no start line after 30 s"
ADDR=$(sed -n 's/^{"listening":"\([^"]*\)".*/\1/p' <<<"$start")
CA=$(sed -n 's/.*"ca":"\([^"]*\)"}$/\1/p' <<<"$start")
[[ $ADDR =~ ^127\.0\.0\.1:[0-9]+$ ]] && pass "start line names a loopback address" || fail "start line" "$start"
[[ -f $CA ]] && pass "start line names the CA file" || fail "CA file" "$CA"

S=$T/sim
json_string() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$S/simulator.json"; }
MCHID=$(json_string mchid)
APPID=$(sed -n 's/.*"appids":\["\([^"]*\)".*/\1/p' "$S/simulator.json")
PKID=$(json_string id)
[[ -n $MCHID && -n $APPID && $PKID == PUB_KEY_ID_* ]] || die "cannot read simulator.json"

# ---- helpers -----------------------------------------------------------------------------
# hdr NAME FILE: a header's value from a `curl -D` file (case-insensitive, CR stripped).
hdr() { grep -i "^$1:" "$2" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }
# status FILE: the HTTP status of a `curl -D` file.
status() { head -n1 "$1" | cut -d' ' -f2; }

# call NAME METHOD URL [BODY_FILE] [EXTRA_HEADER]: signs with `wechatpay sign` and sends with
# curl; the answer's headers land in $T/NAME.h and its body in $T/NAME.b.
call() {
    local name=$1 method=$2 url=$3 body=${4:-} extra=${5:-} auth
    local sign_args=(sign --private-key "$S/apiclient_key.pem" --mchid "$MCHID" --serial "$SERIAL"
                     --method "$method" --url "$url")
    local curl_args=(-sS --cacert "$CA" -D "$T/$name.h" -o "$T/$name.b" -X "$method"
                     -H "Accept: application/json" -H "User-Agent: wechatpay-curl-test")
    if [[ -n $body ]]; then
        sign_args+=(--body-file "$body")
        curl_args+=(-H "Content-Type: application/json" --data-binary "@$body")
    fi
    [[ -n $extra ]] && curl_args+=(-H "$extra")
    auth=$("$W" "${sign_args[@]}")
    curl "${curl_args[@]}" -H "Authorization: $auth" "https://$ADDR$url"
}

# verify NAME [BODY_FILE] KEYS...: `wechatpay verify` on an answer's headers and body; prints
# its exit status.
verify() {
    local name=$1 body=$2
    shift 2
    local rc=0
    "$W" verify --serial "$(hdr Wechatpay-Serial "$T/$name.h")" \
        --timestamp "$(hdr Wechatpay-Timestamp "$T/$name.h")" --nonce "$(hdr Wechatpay-Nonce "$T/$name.h")" \
        --signature "$(hdr Wechatpay-Signature "$T/$name.h")" --body-file "$body" "$@" \
        >/dev/null 2>"$T/verify.err" || rc=$?
    echo "$rc"
}
BOTH_KEYS=(--certificate "$S/platform_cert.pem" --public-key "$S/wechatpay_pub_key.pem" --public-key-id "$PKID")

# ---- serial --------------------------------------------------------------------------------
SERIAL=$("$W" serial --certificate "$S/apiclient_cert.pem")
oracle=$(openssl x509 -in "$S/apiclient_cert.pem" -noout -serial | cut -d= -f2)
[[ $SERIAL == "$oracle" ]] && pass "wechatpay serial matches openssl x509 -serial" || fail "serial" "$SERIAL vs $oracle"
PLATFORM_SERIAL=$("$W" serial --certificate "$S/platform_cert.pem")

# ---- native prepay -------------------------------------------------------------------------
NO="CURL$(date +%s)$$"
printf '{"appid":"%s","mchid":"%s","description":"curl test","out_trade_no":"%s","notify_url":"https://merchant.example.com/notify","amount":{"total":1,"currency":"CNY"}}' \
    "$APPID" "$MCHID" "$NO" >"$T/prepay.json"
call prepay POST /v3/pay/transactions/native "$T/prepay.json"
[[ $(status "$T/prepay.h") == 200 ]] && pass "signed native prepay answers 200" || fail "prepay status" "$(cat "$T/prepay.h" "$T/prepay.b")"
grep -q '"code_url":"weixin://wxpay/bizpayurl' "$T/prepay.b" && pass "prepay answers a code_url" || fail "code_url" "$(cat "$T/prepay.b")"
[[ -n $(hdr Request-ID "$T/prepay.h") ]] && pass "answer has a Request-ID" || fail "Request-ID" "missing"
[[ $(hdr Wechatpay-Serial "$T/prepay.h") == "$PLATFORM_SERIAL" ]] && pass "answer names the platform certificate" \
    || fail "Wechatpay-Serial" "$(hdr Wechatpay-Serial "$T/prepay.h")"
rc=$(verify prepay "$T/prepay.b" "${BOTH_KEYS[@]}")
[[ $rc == 0 ]] && pass "wechatpay verify accepts the prepay answer" || fail "verify prepay" "exit $rc: $(cat "$T/verify.err")"
{ cat "$T/prepay.b"; printf ' '; } >"$T/tampered.b"
rc=$(verify prepay "$T/tampered.b" "${BOTH_KEYS[@]}")
[[ $rc == 1 ]] && pass "wechatpay verify rejects a tampered body (exit 1)" || fail "verify tampered" "exit $rc"

# ---- query ---------------------------------------------------------------------------------
call query GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID"
[[ $(status "$T/query.h") == 200 ]] && pass "signed query answers 200" || fail "query status" "$(cat "$T/query.h" "$T/query.b")"
grep -q "\"out_trade_no\":\"$NO\"" "$T/query.b" && grep -q '"trade_state":"NOTPAY"' "$T/query.b" \
    && pass "query finds the NOTPAY order" || fail "query body" "$(cat "$T/query.b")"
rc=$(verify query "$T/query.b" "${BOTH_KEYS[@]}")
[[ $rc == 0 ]] && pass "wechatpay verify accepts the query answer" || fail "verify query" "exit $rc: $(cat "$T/verify.err")"
sed 's/NOTPAY/SUCCESS/' "$T/query.b" >"$T/tampered.b"
rc=$(verify query "$T/tampered.b" "${BOTH_KEYS[@]}")
[[ $rc == 1 ]] && pass "wechatpay verify rejects a forged trade_state (exit 1)" || fail "verify forged" "exit $rc"

# ---- answers signed with the public key ------------------------------------------------------
call by_key GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" "" "Wechatpay-Serial: $PKID"
[[ $(hdr Wechatpay-Serial "$T/by_key.h") == "$PKID" ]] && pass "Wechatpay-Serial: PUB_KEY_ID_ gets a public-key answer" \
    || fail "public key serial" "$(hdr Wechatpay-Serial "$T/by_key.h")"
rc=$(verify by_key "$T/by_key.b" --public-key "$S/wechatpay_pub_key.pem" --public-key-id "$PKID")
[[ $rc == 0 ]] && pass "verify with the public key alone" || fail "verify public key" "exit $rc: $(cat "$T/verify.err")"
rc=$(verify by_key "$T/by_key.b" --certificate "$S/platform_cert.pem")
[[ $rc == 1 ]] && pass "a certificate-only verify rejects it (exit 1)" || fail "verify certificate only" "exit $rc"

# ---- a request without a signature -----------------------------------------------------------
curl -sS --cacert "$CA" -D "$T/anon.h" -o "$T/anon.b" "https://$ADDR/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID"
[[ $(status "$T/anon.h") == 401 ]] && grep -q '"code":"SIGN_ERROR"' "$T/anon.b" \
    && pass "an unsigned request answers 401 SIGN_ERROR" || fail "unsigned" "$(cat "$T/anon.h" "$T/anon.b")"
# WeChat signs only answers to requests whose signature it verified.
! grep -qi '^Wechatpay-' "$T/anon.h" && [[ -n $(hdr Request-ID "$T/anon.h") ]] \
    && pass "the 401 answer carries a Request-ID and no Wechatpay-* header" || fail "401 headers" "$(cat "$T/anon.h")"

# ---- TLS: the CA is required -----------------------------------------------------------------
if curl -sS -o /dev/null "https://$ADDR/v3/certificates" 2>/dev/null; then
    fail "TLS" "curl without --cacert trusted the simulator"
else
    pass "curl without the simulator's CA refuses the connection"
fi

# ---- the client's verbs: `wechatpay request` and `wechatpay certificates` ---------------------
# `sim --generate` wrote a client config for itself (public key and platform certificate, its
# port and CA), private to its owner: it works as written.
[[ $(stat -c %a "$S/client.json") == 600 ]] && grep -q "\"port\":${ADDR##*:}" "$S/client.json" \
    && pass "sim --generate writes DIR/client.json (0600, the listening port)" || fail "client.json" "$(ls -l "$S")"
if "$W" request GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" --config "$S/client.json" \
        >"$T/gen.out" 2>"$T/gen.err" && grep -q "\"out_trade_no\":\"$NO\"" "$T/gen.out"; then
    pass "wechatpay request --config DIR/client.json works at once"
else
    fail "generated client.json" "$(cat "$T/gen.out" "$T/gen.err")"
fi
# The rest use certificate-download mode: the same merchant without WeChat Pay keys.
APIV3=$(json_string apiv3_key)
cat >"$S/client.json" <<JSON
{"mchid": "$MCHID", "appid": "$APPID",
 "merchant": {"private_key": "apiclient_key.pem", "certificate": "apiclient_cert.pem"},
 "apiv3_key": "$APIV3",
 "endpoint": {"host": "127.0.0.1", "backup_host": "", "port": ${ADDR##*:}, "ca_file": "$CA"}}
JSON
if "$W" request GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" --config "$S/client.json" \
        >"$T/req.out" 2>"$T/req.err" && grep -q "\"out_trade_no\":\"$NO\"" "$T/req.out" && grep -q "HTTP 200" "$T/req.err"; then
    pass "wechatpay request: signed, sent, verified (platform certificates downloaded)"
else
    fail "wechatpay request" "$(cat "$T/req.out" "$T/req.err")"
fi
rc=0; "$W" request GET "/v3/pay/transactions/out-trade-no/NOSUCHORDER1?mchid=$MCHID" --config "$S/client.json" \
    >"$T/req404.out" 2>"$T/req404.err" || rc=$?
[[ $rc == 0 ]] && grep -q "HTTP 404" "$T/req404.err" && grep -q ORDER_NOT_EXIST "$T/req404.out" \
    && pass "wechatpay request: a verified 404 is an answer (exit 0)" || fail "request 404" "exit $rc: $(cat "$T/req404.err")"
# An unsigned error answer: the body on stdout, status, Request-ID and "unsigned" on stderr,
# exit 1. A merchant serial WeChat does not know gives WeChat's unsigned 401 SIGN_ERROR (the
# platform certificate is configured: the certificate download would meet the same 401).
sed -e 's/"certificate": "apiclient_cert.pem"}/"serial": "0123456789ABCDEF0123456789ABCDEF01234567"}, "wechatpay": {"certificates": ["platform_cert.pem"]}/' \
    "$S/client.json" >"$S/wrong_serial.json"
grep -q '"serial": "0123' "$S/wrong_serial.json" || die "wrong_serial.json"
rc=0; "$W" request GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" --config "$S/wrong_serial.json" \
    >"$T/req401.out" 2>"$T/req401.err" || rc=$?
[[ $rc == 1 ]] && grep -q '"code":"SIGN_ERROR"' "$T/req401.out" && grep -q "HTTP 401" "$T/req401.err" \
    && grep -q "unsigned" "$T/req401.err" && grep -q 'Request-ID "[^"-][^"]*"' "$T/req401.err" \
    && pass "wechatpay request: an unsigned 401 SIGN_ERROR prints its body, says unsigned, exits 1" \
    || fail "request unsigned 401" "exit $rc: $(cat "$T/req401.out" "$T/req401.err")"
if "$W" certificates --config "$S/client.json" --out "$T/certs" >"$T/certs.out" 2>"$T/certs.err" \
        && [[ $(cut -d' ' -f1 "$T/certs.out") == $("$W" serial --certificate "$S/platform_cert.pem") ]] \
        && [[ -f $T/certs/wechatpay_$(cut -d' ' -f1 "$T/certs.out").pem ]]; then
    pass "wechatpay certificates: downloaded, verified, decrypted, saved"
else
    fail "wechatpay certificates" "$(cat "$T/certs.out" "$T/certs.err")"
fi
# The saved PEM is the certificate the simulator serves: same serial as /v3/certificates names.
call served GET /v3/certificates
SERVED=$(grep -o '"serial_no":"[^"]*"' "$T/served.b" | cut -d'"' -f4 | sort | tr '\n' ' ')
SAVED=$(for f in "$T"/certs/wechatpay_*.pem; do "$W" serial --certificate "$f"; done | sort | tr '\n' ' ')
[[ -n $SERVED && $SAVED == "$SERVED" ]] && pass "certificates --out: the saved PEMs' serials are the ones served" \
    || fail "saved serials" "saved '$SAVED', served '$SERVED'"
# Saving that fails is exit 1 with the reason: an --out that cannot be a directory, a file that
# cannot be opened (a directory in its place), a write that fails at close (/dev/full).
printf 'x' >"$T/regular"
rc=0; "$W" certificates --config "$S/client.json" --out "$T/regular/certs" >/dev/null 2>"$T/out1.err" || rc=$?
[[ $rc == 1 ]] && grep -q "cannot create the directory" "$T/out1.err" \
    && pass "certificates --out under a regular file exits 1" || fail "--out under a file" "exit $rc: $(cat "$T/out1.err")"
mkdir -p "$T/blocked/wechatpay_$PLATFORM_SERIAL.pem"
rc=0; "$W" certificates --config "$S/client.json" --out "$T/blocked" >/dev/null 2>"$T/out2.err" || rc=$?
[[ $rc == 1 ]] && grep -q "cannot write" "$T/out2.err" \
    && pass "certificates --out: a file that cannot be opened exits 1" || fail "--out unopenable" "exit $rc: $(cat "$T/out2.err")"
if [[ -c /dev/full ]]; then
    mkdir -p "$T/full" && ln -s /dev/full "$T/full/wechatpay_$PLATFORM_SERIAL.pem"
    rc=0; "$W" certificates --config "$S/client.json" --out "$T/full" >/dev/null 2>"$T/out3.err" || rc=$?
    [[ $rc == 1 ]] && grep -q "No space left" "$T/out3.err" \
        && pass "certificates --out: a write that fails (disk full) exits 1" || fail "--out disk full" "exit $rc: $(cat "$T/out3.err")"
else
    echo "ok - # SKIP no /dev/full"
fi

# ---- bills streamed into files: `wechatpay bill --out`, `wechatpay request GET --out` ----------
# A synthetic day two days back (its bill exists from 10:00 the next day, China time).
BILL_DATE=$(date -u -d "@$(( $(date +%s) + 8 * 3600 - 2 * 86400 ))" +%F)
TODAY=$(date -u -d "@$(( $(date +%s) + 8 * 3600 ))" +%F)
curl -sS --cacert "$CA" -o "$T/bills.b" -w '%{http_code}' -X POST -H "Content-Type: application/json" \
    --data-binary "{\"bill_date\":\"$BILL_DATE\",\"records\":30000}" "https://$ADDR/sim/bills" >"$T/bills.status"
[[ $(cat "$T/bills.status") == 200 ]] || die "POST /sim/bills: $(cat "$T/bills.status" "$T/bills.b")"
rc=0; "$W" bill trade --date "$BILL_DATE" --gzip --config "$S/client.json" --out "$T/bill.csv" \
    >"$T/bill.out" 2>"$T/bill.err" || rc=$?
BILL_SHA1=$(sha1sum "$T/bill.csv" 2>/dev/null | cut -d' ' -f1)
[[ $rc == 0 && $(wc -l <"$T/bill.csv") == 30003 && -n $BILL_SHA1 ]] && grep -q "SHA1 $BILL_SHA1 verified" "$T/bill.err" \
    && pass "wechatpay bill --gzip --out: 30,000 rows streamed, inflated, SHA1 verified" \
    || fail "bill --out" "exit $rc: $(cat "$T/bill.err")"
rc=0; "$W" bill trade --date "$TODAY" --config "$S/client.json" --out "$T/today.csv" >/dev/null 2>"$T/today.err" || rc=$?
[[ $rc == 1 && ! -e $T/today.csv ]] && grep -q STATEMENT_CREATING "$T/today.err" \
    && pass "wechatpay bill: today's bill is still being created (400 STATEMENT_CREATING, exit 1, no file)" \
    || fail "bill of today" "exit $rc: $(cat "$T/today.err")"
"$W" request GET "/v3/bill/tradebill?bill_date=$BILL_DATE" --config "$S/client.json" >"$T/billinfo.out" 2>/dev/null
DOWNLOAD=$(sed -n 's/.*"download_url":"https:\/\/[^/]*\(\/[^"]*\)".*/\1/p' "$T/billinfo.out")
HASH=$(sed -n 's/.*"hash_value":"\([^"]*\)".*/\1/p' "$T/billinfo.out")
rc=0; "$W" request GET "$DOWNLOAD" --config "$S/client.json" --out "$T/raw.csv" >"$T/raw.out" 2>"$T/raw.err" || rc=$?
[[ $rc == 0 && -n $HASH && $(sha1sum "$T/raw.csv" | cut -d' ' -f1) == "$HASH" ]] && grep -q "not signed" "$T/raw.err" \
    && pass "wechatpay request GET --out: the unsigned download streamed into the file, its SHA1 as given" \
    || fail "request --out" "exit $rc: $(cat "$T/raw.err")"
rc=0; "$W" request POST /v3/pay/transactions/native --config "$S/client.json" --out "$T/post.out" >/dev/null 2>&1 || rc=$?
[[ $rc == 2 && ! -e $T/post.out ]] && pass "wechatpay request --out takes GET only (exit 2)" || fail "request POST --out" "exit $rc"

# `wechatpay request` exit 1: an answer that fails verification (the simulator's bad_signature
# fault on the query endpoint), and no answer at all (nothing listens on the port).
QUERY_ENDPOINT='/v3/pay/transactions/out-trade-no/{out_trade_no}'
# add_fault RULE_JSON / clear_faults: the simulator's control API.
add_fault() {
    curl -sS --cacert "$CA" -o "$T/fault.b" -w '%{http_code}' -X POST -H "Content-Type: application/json" \
        --data-binary "$1" "https://$ADDR/sim/faults" >"$T/fault.status"
    [[ $(cat "$T/fault.status") == 200 ]] || die "POST /sim/faults: $(cat "$T/fault.status" "$T/fault.b")"
}
clear_faults() { curl -sS --cacert "$CA" -o /dev/null -X DELETE "https://$ADDR/sim/faults"; }
add_fault "{\"kind\":\"bad_signature\",\"endpoint\":\"$QUERY_ENDPOINT\",\"every\":1}"
rc=0; "$W" request GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" --config "$S/client.json" \
    >"$T/badsig.out" 2>"$T/badsig.err" || rc=$?
[[ $rc == 1 && ! -s $T/badsig.out ]] && grep -qi "signature" "$T/badsig.err" \
    && pass "wechatpay request: a forged answer signature exits 1, prints no body" \
    || fail "request bad signature" "exit $rc: $(cat "$T/badsig.out" "$T/badsig.err")"
clear_faults
rc=0; "$W" request GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" --config "$S/client.json" \
    >/dev/null 2>&1 || rc=$?
[[ $rc == 0 ]] && pass "with the fault removed the same request exits 0" || fail "request after fault" "exit $rc"
# A gateway's unsigned 502 with an HTML page, on every attempt: retried, then shown, exit 1.
add_fault "{\"kind\":\"unsigned_error\",\"endpoint\":\"$QUERY_ENDPOINT\",\"every\":1,\"status\":502,\"body\":\"html\"}"
rc=0; "$W" request GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" --config "$S/client.json" \
    >"$T/req502.out" 2>"$T/req502.err" || rc=$?
clear_faults
[[ $rc == 1 ]] && grep -q "<h1>502 Bad Gateway</h1>" "$T/req502.out" && grep -q "HTTP 502" "$T/req502.err" \
    && grep -q "unsigned" "$T/req502.err" \
    && pass "wechatpay request: a gateway's unsigned 502 page is printed, exit 1" \
    || fail "request unsigned 502" "exit $rc: $(cat "$T/req502.out" "$T/req502.err")"
# Port 1 on loopback: nothing listens (checked with curl first); backup_host "" keeps the
# failover from leaving loopback.
if curl -s -o /dev/null --max-time 5 "http://127.0.0.1:1/" 2>/dev/null || [[ $? != 7 ]]; then
    echo "ok - # SKIP something answers on 127.0.0.1:1"
else
    sed "s/\"port\": ${ADDR##*:}/\"port\": 1/" "$S/client.json" >"$S/refused.json"
    grep -q '"port": 1,' "$S/refused.json" && grep -q '"backup_host": ""' "$S/refused.json" || die "refused.json"
    rc=0; "$W" request GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" --config "$S/refused.json" \
        >"$T/refused.out" 2>"$T/refused.err" || rc=$?
    [[ $rc == 1 && ! -s $T/refused.out ]] && grep -qi "refused" "$T/refused.err" \
        && pass "wechatpay request: a refused connection exits 1" \
        || fail "request refused" "exit $rc: $(cat "$T/refused.out" "$T/refused.err")"
fi
rc=0; "$W" request GET /v3/certificates --config "$T/missing.json" 2>/dev/null || rc=$?
[[ $rc == 2 ]] && pass "wechatpay request with a missing config exits 2" || fail "request missing config" "exit $rc"

# A PATH or METHOD that is not one line of HTTP is refused (exit 2) before any connection: a
# CR LF in it would smuggle headers or a second request over the signed connection.
connections() { curl -sS --cacert "$CA" "https://$ADDR/sim/stats" | grep -o '"connections_accepted":[0-9]*' | cut -d: -f2; }
before=$(connections)
for bad in $'/v3/certificates HTTP/1.1\r\nHost: x\r\n\r\nGET /v3/pay/transactions/out-trade-no/'"$NO?mchid=$MCHID" \
           $'/v3/certificates\nX-Injected: 1' '/v3/cert ificates' '/v3/certificates#top' '/v3/a%zz' \
           $'/v3/pay/transactions/out-trade-no/\xe8\xae\xa2'; do
    rc=0; "$W" request GET "$bad" --config "$S/client.json" >"$T/smuggle.out" 2>"$T/smuggle.err" || rc=$?
    [[ $rc == 2 && ! -s $T/smuggle.out && $(wc -l <"$T/smuggle.err") == 1 ]] && grep -q "is not /path?query" "$T/smuggle.err" \
        && pass "wechatpay request refuses PATH $(printf '%q' "$bad") (exit 2, one line)" \
        || fail "request PATH $(printf '%q' "$bad")" "exit $rc: $(cat "$T/smuggle.out" "$T/smuggle.err")"
done
rc=0; "$W" request $'GET /v3/certificates HTTP/1.1\r\nX: 1\r\n\r\nGET' /v3/certificates --config "$S/client.json" \
    >/dev/null 2>"$T/method.err" || rc=$?
[[ $rc == 2 ]] && grep -q "is not GET, POST, PUT, PATCH or DELETE" "$T/method.err" \
    && pass "wechatpay request refuses a METHOD holding CR LF (exit 2)" || fail "request METHOD" "exit $rc: $(cat "$T/method.err")"
for m in get FETCH M-SEARCH; do
    rc=0; "$W" request "$m" /v3/certificates --config "$S/client.json" >/dev/null 2>&1 || rc=$?
    [[ $rc == 2 ]] && pass "wechatpay request refuses METHOD $m as the library would (exit 2)" || fail "request METHOD $m" "exit $rc"
done
after=$(connections)
[[ $after == $((before + 1)) ]] && pass "none of those opened a connection (only the stats read did)" \
    || fail "refused requests connected" "connections $before -> $after"

# ---- `wechatpay request`: extra headers, --serial, --upload ------------------------------------
rc=0; "$W" request GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" --config "$S/client.json" \
    --header 'Accept-Language: en' --header 'X-Trace:abc' >/dev/null 2>"$T/hdr.err" || rc=$?
[[ $rc == 0 ]] && pass "wechatpay request --header: extra headers go out" || fail "--header" "exit $rc: $(cat "$T/hdr.err")"
before=$(connections)
for bad in $'X-Injected: 1\r\nAuthorization: forged' 'Authorization: forged' 'Host: evil' 'Wechatpay-Serial: x' \
           'Content-Length: 0' 'X Bad: 1' 'no colon'; do
    rc=0; "$W" request GET /v3/certificates --config "$S/client.json" --header "$bad" >/dev/null 2>"$T/hdr.err" || rc=$?
    [[ $rc == 2 ]] && pass "wechatpay request refuses --header $(printf '%q' "$bad") (exit 2)" \
        || fail "--header $(printf '%q' "$bad")" "exit $rc: $(cat "$T/hdr.err")"
done
rc=0; "$W" request GET /v3/certificates --config "$S/client.json" --serial $'PUB_KEY_ID_1\r\nX: y' >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] && pass "wechatpay request refuses a --serial holding CR LF (exit 2)" || fail "--serial CR LF" "exit $rc"
after=$(connections)
[[ $after == $((before + 1)) ]] && pass "refused headers and serials opened no connection" \
    || fail "refused headers connected" "connections $before -> $after"
# client.json trusts the downloaded platform certificates only. Naming the public key makes the
# simulator sign with it, as WeChat Pay does: an answer this client cannot verify shows the
# serial went out as given.
rc=0; "$W" request GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" --config "$S/client.json" \
    --serial "$PKID" >/dev/null 2>"$T/serial.err" || rc=$?
[[ $rc == 1 ]] && grep -qi "serial" "$T/serial.err" && pass "wechatpay request --serial: the named key signs the answer" \
    || fail "--serial" "exit $rc: $(cat "$T/serial.err")"
rc=0; "$W" request GET "/v3/pay/transactions/out-trade-no/$NO?mchid=$MCHID" --config "$S/client.json" \
    --serial "$PLATFORM_SERIAL" >/dev/null 2>"$T/serial.err" || rc=$?
[[ $rc == 0 ]] && pass "wechatpay request --serial PLATFORM_SERIAL verifies" || fail "--serial platform" "exit $rc: $(cat "$T/serial.err")"

# --upload: a PNG becomes a media_id; the simulator serves the same bytes, unsigned.
{ printf '\x89PNG\r\n\x1a\n'; head -c 5000 /dev/urandom; } >"$T/receipt.png"
rc=0; "$W" request POST /v3/merchant-service/images/upload --config "$S/client.json" --upload "$T/receipt.png" \
    >"$T/up.out" 2>"$T/up.err" || rc=$?
MEDIA_ID=$(grep -o '"media_id":"[^"]*"' "$T/up.out" | cut -d'"' -f4)
[[ $rc == 0 && -n $MEDIA_ID ]] && grep -q "HTTP 200 (signature verified)" "$T/up.err" \
    && pass "wechatpay request --upload: a media_id, the answer verified" || fail "--upload" "exit $rc: $(cat "$T/up.out" "$T/up.err")"
call image GET "/v3/merchant-service/images/$MEDIA_ID"
[[ $(status "$T/image.h") == 200 ]] && cmp -s "$T/image.b" "$T/receipt.png" && [[ -z $(hdr Wechatpay-Signature "$T/image.h") ]] \
    && pass "GET /v3/merchant-service/images/{media_id}: the uploaded bytes, unsigned" \
    || fail "image download" "$(cat "$T/image.h")"
cp "$T/receipt.png" "$T/receipt.jpg"
{ printf '\x89PNG\r\n\x1a\n'; head -c $((2 * 1024 * 1024)) /dev/zero; } >"$T/big.png"
for bad in "$T/receipt.jpg" "$T/big.png"; do
    rc=0; "$W" request POST /v3/merchant/media/upload --config "$S/client.json" --upload "$bad" >/dev/null 2>"$T/bad.err" || rc=$?
    [[ $rc == 2 ]] && grep -q "upload" "$T/bad.err" && pass "wechatpay request --upload refuses $(basename "$bad") (exit 2)" \
        || fail "--upload $(basename "$bad")" "exit $rc: $(cat "$T/bad.err")"
done
rc=0; "$W" request GET /v3/merchant/media/upload --config "$S/client.json" --upload "$T/receipt.png" >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] && pass "wechatpay request --upload goes with POST only (exit 2)" || fail "--upload GET" "exit $rc"

kill -0 "$SIM_PID" 2>/dev/null && pass "the simulator is still running" || fail "simulator" "exited early"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
