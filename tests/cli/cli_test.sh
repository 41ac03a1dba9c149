#!/usr/bin/env bash
# Tests of the `wechatpay` command line against the official vectors, with the openssl command
# line as an independent oracle. Needs only bash, coreutils and openssl.
#   usage: cli_test.sh WECHATPAY_BINARY VECTORS_DIR
set -euo pipefail

W=$1
V=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
: >"$T/stderr.log"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1: $2"; }

# run ARGS...: runs the binary; stdout in $T/out, stderr in $T/err, exit status in $status.
# Every stderr is kept for the secrets check at the end.
run() {
    status=0
    "$W" "$@" >"$T/out" 2>"$T/err" || status=$?
    cat "$T/err" >>"$T/stderr.log"
}

# expect NAME STATUS ARGS...: the binary exits with STATUS.
expect() {
    local name=$1 want=$2
    shift 2
    run "$@"
    if [[ $status == "$want" ]]; then pass "$name"
    else fail "$name" "exit $status, expected $want; stderr: $(<"$T/err")"; fi
}

# expect_out NAME EXPECTED ARGS...: the binary exits 0 and prints exactly EXPECTED (bytes).
expect_out() {
    local name=$1 want=$2
    shift 2
    run "$@"
    if [[ $status != 0 ]]; then fail "$name" "exit $status; stderr: $(<"$T/err")"
    elif printf '%s' "$want" | cmp -s - "$T/out"; then pass "$name"
    else fail "$name" "printed '$(<"$T/out")', expected '$want'"; fi
}

# check NAME COMMAND...: the shell command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "check failed: $*"; fi
}

# jfield FILE KEY [SECTION]: a string field of a vector file (one field per line; the only
# escapes in these files are \" and \n).
jfield() {
    local file=$1 key=$2 section=${3:-} text line
    if [[ -n $section ]]; then text=$(sed -n "/^  \"$section\": {/,/^  }/p" "$file")
    else text=$(<"$file"); fi
    line=$(grep -m1 "^ *\"$key\": \"" <<<"$text") || { echo "no $key in $file" >&2; exit 2; }
    line=${line#*\": \"}
    line=${line%,}
    line=${line%\"}
    line=${line//\\\"/\"}
    line=${line//\\n/$'\n'}
    printf '%s' "$line"
}

# flip TEXT: TEXT with its first character changed (a tampered signature or ciphertext).
flip() { if [[ ${1:0:1} == A ]]; then printf 'B%s' "${1:1}"; else printf 'A%s' "${1:1}"; fi; }

# not_in_err TEXT: the last stderr does not contain TEXT.
not_in_err() { ! grep -qF -- "$1" "$T/err"; }

# ossl_verify PUBKEY SIG_FILE MESSAGE_FILE: openssl's verdict on a SHA256withRSA signature.
ossl_verify() { openssl dgst -sha256 -verify "$1" -signature "$2" "$3" >/dev/null; }

# json_obj KEY VALUE...: a flat JSON object of strings in the order given (no escaping needed).
json_obj() {
    local out='' sep=''
    while (($#)); do out+="$sep\"$1\":\"$2\""; sep=,; shift 2; done
    printf '{%s}' "$out"
}

# field NAME: the value of NAME="..." in the Authorization header in $T/out.
field() { sed -n "s/.*$1=\"\([^\"]*\)\".*/\1/p" "$T/out"; }

DOC_KEY=$V/doc_test_private_key_pkcs8.pem
VEC=$V/doc_signature_vectors.json
GO=$V/sdk-tests/wechatpay-go
JAVA=$V/sdk-tests/wechatpay-java

# ---- sign: the docs' request signature ---------------------------------------------------

jfield "$VEC" body request_sign >"$T/request_body.json"
req_ts=$(jfield "$VEC" timestamp request_sign)
req_nonce=$(jfield "$VEC" nonce_str request_sign)
req_sig=$(jfield "$VEC" signature request_sign)
mch_serial=1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C
sign_request=(sign --private-key "$DOC_KEY" --mchid 1900007291 --serial "$mch_serial"
    --method "$(jfield "$VEC" method request_sign)"
    --url "$(jfield "$VEC" canonical_url request_sign)")
pinned=(--timestamp "$req_ts" --nonce "$req_nonce")

auth="WECHATPAY2-SHA256-RSA2048 mchid=\"1900007291\",nonce_str=\"$req_nonce\","
auth+="timestamp=\"$req_ts\",serial_no=\"$mch_serial\",signature=\"$req_sig\""
expect_out "sign: the docs' request → Authorization header" "$auth"$'\n' \
    "${sign_request[@]}" "${pinned[@]}" --body-file "$T/request_body.json"
check "sign: the header carries the docs' exact signature" test "$(field signature)" = "$req_sig"
run "${sign_request[@]}" "${pinned[@]}" --body-file - <"$T/request_body.json"
check "sign: --body-file - reads the body from stdin" test "$(field signature)" = "$req_sig"

# The same message signed as raw bytes.
printf 'POST\n/v3/pay/transactions/jsapi\n%s\n%s\n%s\n' "$req_ts" "$req_nonce" \
    "$(<"$T/request_body.json")" >"$T/request_message"
expect_out "sign --message-file: the docs' request message" "$req_sig"$'\n' \
    sign --private-key "$DOC_KEY" --message-file "$T/request_message"
expect_out "sign --message-file -: from stdin" "$req_sig"$'\n' \
    sign --private-key "$DOC_KEY" --message-file - <"$T/request_message"

# Without --timestamp and --nonce: now and a fresh nonce; openssl checks the signature.
openssl pkey -in "$DOC_KEY" -pubout -out "$T/doc_pub.pem" 2>/dev/null
run sign --private-key "$DOC_KEY" --mchid 1900007291 --serial ABC --method GET \
    --url '/v3/certificates?x=1'
ts=$(field timestamp)
nonce=$(field nonce_str)
now=$(date +%s)
check "sign: default timestamp is now" test $((now - ts)) -le 5 -a $((ts - now)) -le 5
check "sign: default nonce is 32 characters" test ${#nonce} = 32
field signature | base64 -d >"$T/get_sig.bin"
printf 'GET\n/v3/certificates?x=1\n%s\n%s\n\n' "$ts" "$nonce" >"$T/get_message"
check "sign: openssl verifies a GET signature with an empty body" \
    ossl_verify "$T/doc_pub.pem" "$T/get_sig.bin" "$T/get_message"

# openssl as oracle for arbitrary bytes.
head -c 1000 /dev/urandom >"$T/random.bin"
run sign --private-key "$DOC_KEY" --message-file "$T/random.bin"
base64 -d <"$T/out" >"$T/random.sig"
check "sign --message-file: openssl verifies random bytes" \
    ossl_verify "$T/doc_pub.pem" "$T/random.sig" "$T/random.bin"

# ---- pay-params: the docs' second signatures ---------------------------------------------

appid=$(jfield "$VEC" appId pay_sign)
pay_ts=$(jfield "$VEC" timeStamp pay_sign)
pay_nonce=$(jfield "$VEC" nonceStr pay_sign)
prepay=$(jfield "$VEC" prepay_id pay_sign)
pay_params=(--private-key "$DOC_KEY" --appid "$appid" --mchid 1900007291 --prepay-id "$prepay")

expect_out "pay-params jsapi: the docs' paySign" \
    "$(json_obj appId "$appid" timeStamp "$pay_ts" nonceStr "$pay_nonce" \
        package "prepay_id=$prepay" signType RSA paySign "$(jfield "$VEC" jsapi_paySign pay_sign)")"$'\n' \
    pay-params jsapi "${pay_params[@]}" --timestamp "$pay_ts" --nonce "$pay_nonce"
expect_out "pay-params app: the docs' sign" \
    "$(json_obj appid "$appid" partnerid 1900007291 prepayid "$prepay" package Sign=WXPay \
        noncestr "$pay_nonce" timestamp "$pay_ts" sign "$(jfield "$VEC" app_sign pay_sign)")"$'\n' \
    pay-params app "${pay_params[@]}" --timestamp "$pay_ts" --nonce "$pay_nonce"
run pay-params jsapi "${pay_params[@]}"
check "pay-params: default nonce and timestamp" \
    grep -Eq '"timeStamp":"[0-9]+","nonceStr":"[0-9A-Za-z]{32}"' "$T/out"
expect "pay-params: a kind other than app|jsapi" 2 pay-params native "${pay_params[@]}"
expect "pay-params: no kind" 2 pay-params "${pay_params[@]}"

# ---- verify: a real answer signed with a WeChat Pay public key ---------------------------

pub_id=$(jfield "$VEC" Wechatpay-Serial response_verify)
ans_ts=$(jfield "$VEC" Wechatpay-Timestamp response_verify)
ans_sig=$(jfield "$VEC" Wechatpay-Signature response_verify)
jfield "$VEC" body response_verify >"$T/answer_body.json"
doc_pub_key=(--public-key "$V/$(jfield "$VEC" public_key_file response_verify)"
    --public-key-id "$pub_id")
answer=(verify --serial "$pub_id" --timestamp "$ans_ts"
    --nonce "$(jfield "$VEC" Wechatpay-Nonce response_verify)")
signed_answer=("${answer[@]}" --signature "$ans_sig" --body-file "$T/answer_body.json")

expect_out "verify: the docs' answer" "verified"$'\n' \
    "${signed_answer[@]}" "${doc_pub_key[@]}" --now "$ans_ts"
expect_out "verify: body from stdin, --now at the edge of the window" "verified"$'\n' \
    "${answer[@]}" --signature "$ans_sig" --body-file - "${doc_pub_key[@]}" \
    --now $((ans_ts + 300)) <"$T/answer_body.json"
expect "verify: tampered signature" 1 "${answer[@]}" --signature "$(flip "$ans_sig")" \
    --body-file "$T/answer_body.json" "${doc_pub_key[@]}" --now "$ans_ts"
sed 's/JyC91EIz1/JyC91EIz2/' "$T/answer_body.json" >"$T/answer_tampered.json"
expect "verify: tampered body" 1 "${answer[@]}" --signature "$ans_sig" \
    --body-file "$T/answer_tampered.json" "${doc_pub_key[@]}" --now "$ans_ts"
expect "verify: no --body-file means an empty body" 1 \
    "${answer[@]}" --signature "$ans_sig" "${doc_pub_key[@]}" --now "$ans_ts"
expect "verify: stale --now" 1 "${signed_answer[@]}" "${doc_pub_key[@]}" --now $((ans_ts + 301))
expect "verify: without --now the clock is used (a 2024 answer is stale)" 1 \
    "${signed_answer[@]}" "${doc_pub_key[@]}"
check "verify: the failure is explained on stderr" grep -q "timestamp" "$T/err"
expect "verify: unknown serial" 1 \
    "${signed_answer[@]}" --certificate "$GO/cert_F5765756002FDD77.pem" --now "$ans_ts"
expect "verify: --public-key without --public-key-id" 2 \
    "${signed_answer[@]}" --public-key "$GO/public_key_F5765756002FDD77.pem" --now "$ans_ts"
expect "verify: no WeChat Pay key" 2 "${signed_answer[@]}" --now "$ans_ts"
expect "verify: --now must be a number" 2 "${signed_answer[@]}" "${doc_pub_key[@]}" --now yesterday

# A WECHATPAY/SIGNTEST/ probe fails like any bad signature.
PROBE=$V/signtest_probe_notification_headers.json
probe_ts=$(jfield "$PROBE" Wechatpay-Timestamp)
expect "verify: WECHATPAY/SIGNTEST/ probe signature" 1 \
    verify --serial "$(jfield "$PROBE" Wechatpay-Serial)" --timestamp "$probe_ts" \
    --nonce "$(jfield "$PROBE" Wechatpay-Nonce)" \
    --signature "$(jfield "$PROBE" Wechatpay-Signature)" \
    --certificate "$GO/cert_F5765756002FDD77.pem" --now "$probe_ts"
check "verify: the probe is named as such" grep -q "SIGNTEST" "$T/err"

# ---- serial ------------------------------------------------------------------------------

openssl_serial() { openssl x509 -noout -serial -in "$1" | sed 's/^serial=//'; }
for cert in "$JAVA/wechat_pay_certificate.pem" "$GO/cert_D7CE59D1F522D701.pem"; do
    expect_out "serial: $(basename "$cert") as openssl prints it" "$(openssl_serial "$cert")"$'\n' \
        serial --certificate "$cert"
done
expect "serial: a key is not a certificate" 2 serial --certificate "$DOC_KEY"
serial_stdin=$("$W" serial --certificate - <"$JAVA/wechat_pay_certificate.pem" 2>>"$T/stderr.log") || true
check "serial: --certificate - reads the certificate from stdin" \
    test "$serial_stdin" = "$(openssl_serial "$JAVA/wechat_pay_certificate.pem")"
msg_sig=$(printf 'message' | "$W" sign --private-key "$DOC_KEY" --message-file - 2>>"$T/stderr.log") || true
key_sig=$(printf 'message' >"$T/msg"; "$W" sign --private-key - --message-file "$T/msg" <"$DOC_KEY" 2>>"$T/stderr.log") || true
check "sign: --private-key - reads the key from stdin" test -n "$key_sig" -a "$key_sig" = "$msg_sig"

# ---- decrypt / encrypt: the Java SDK's AES-GCM vector ------------------------------------

AES=$JAVA/aes_gcm_message.json
apiv3=$(jfield "$AES" key_raw)
aes_ct=$(jfield "$AES" ciphertext_b64)
aes_pt=$(jfield "$AES" plaintext)
aes_nonce=$(jfield "$AES" nonce)
aes=(--nonce "$aes_nonce" --associated-data "$(jfield "$AES" associated_data)")
printf '%s\n' "$apiv3" >"$T/apiv3.key"
printf '%s' "$aes_pt" >"$T/aes_plain"
wrong_apiv3=0123456789abcdef0123456789ABCDEF

expect_out "decrypt: the Java vector (plaintext as is, no newline)" "$aes_pt" \
    decrypt --apiv3-key "$apiv3" "${aes[@]}" --ciphertext "$aes_ct"
expect_out "decrypt: --apiv3-key-file (trailing newline ignored)" "$aes_pt" \
    decrypt --apiv3-key-file "$T/apiv3.key" "${aes[@]}" --ciphertext "$aes_ct"
expect_out "encrypt: the Java vector" "$aes_ct"$'\n' \
    encrypt --apiv3-key "$apiv3" "${aes[@]}" --plaintext-file "$T/aes_plain"
expect_out "encrypt: plaintext from stdin" "$aes_ct"$'\n' \
    encrypt --apiv3-key-file "$T/apiv3.key" "${aes[@]}" <"$T/aes_plain"
expect "decrypt: wrong 32-byte APIv3 key" 1 \
    decrypt --apiv3-key "$wrong_apiv3" "${aes[@]}" --ciphertext "$aes_ct"
expect "decrypt: wrong associated data" 1 \
    decrypt --apiv3-key "$apiv3" --nonce "$aes_nonce" --associated-data other --ciphertext "$aes_ct"
expect "decrypt: tampered ciphertext" 1 \
    decrypt --apiv3-key "$apiv3" "${aes[@]}" --ciphertext "$(flip "$aes_ct")"
expect "decrypt: APIv3 key of the wrong length" 2 \
    decrypt --apiv3-key "${apiv3:0:31}" "${aes[@]}" --ciphertext "$aes_ct"
expect "encrypt: APIv3 key of the wrong length" 2 \
    encrypt --apiv3-key "${apiv3}X" "${aes[@]}" --plaintext-file "$T/aes_plain"
expect "decrypt: both --apiv3-key and --apiv3-key-file" 2 \
    decrypt --apiv3-key "$apiv3" --apiv3-key-file "$T/apiv3.key" "${aes[@]}" --ciphertext "$aes_ct"
expect "decrypt: no APIv3 key" 2 decrypt "${aes[@]}" --ciphertext "$aes_ct"

# ---- a throwaway WeChat Pay key and certificate (oaep, notify) ---------------------------

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/wx_key.pem" -out "$T/wx_cert.pem" \
    -days 2 -subj "/CN=wechatpay-cli-test" -set_serial 0x5A3C0FFEE12345 2>/dev/null
openssl pkey -in "$T/wx_key.pem" -pubout -out "$T/wx_pub.pem" 2>/dev/null
wx_serial=$(openssl_serial "$T/wx_cert.pem")
expect_out "serial: a fresh certificate as openssl prints it" "$wx_serial"$'\n' \
    serial --certificate "$T/wx_cert.pem"

# ---- oaep-encrypt / oaep-decrypt ---------------------------------------------------------

oaep_decrypt() {
    openssl pkeyutl -decrypt -inkey "$T/wx_key.pem" -pkeyopt rsa_padding_mode:oaep \
        -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1 -in "$1"
}
printf '张三 330100199001011234' >"$T/sensitive"
for source in "--certificate $T/wx_cert.pem" "--public-key $T/wx_pub.pem"; do
    # shellcheck disable=SC2086 # the option and its file, split on purpose
    run oaep-encrypt $source --plaintext-file "$T/sensitive"
    base64 -d <"$T/out" >"$T/oaep.bin"
    check "oaep-encrypt ${source%% *}: openssl decrypts it" \
        cmp -s "$T/sensitive" <(oaep_decrypt "$T/oaep.bin")
done
run oaep-encrypt --public-key "$T/wx_pub.pem" <"$T/sensitive"
expect_out "oaep-decrypt: round trip (plaintext from stdin)" "$(<"$T/sensitive")" \
    oaep-decrypt --private-key "$T/wx_key.pem" --ciphertext "$(<"$T/out")"
OAEP=$GO/rsa_oaep_decrypt.json
oaep_ct=$(jfield "$OAEP" ciphertext_b64)
expect_out "oaep-decrypt: the Go SDK's vector" "$(jfield "$OAEP" plaintext)" \
    oaep-decrypt --private-key "$GO/$(jfield "$OAEP" private_key_file)" --ciphertext "$oaep_ct"
expect "oaep-decrypt: the wrong private key" 1 \
    oaep-decrypt --private-key "$T/wx_key.pem" --ciphertext "$oaep_ct"
expect "oaep-encrypt: both --certificate and --public-key" 2 oaep-encrypt \
    --certificate "$T/wx_cert.pem" --public-key "$T/wx_pub.pem" --plaintext-file "$T/sensitive"

# ---- notify: a notification built here, signed by the throwaway WeChat Pay key -----------

notify_apiv3=Zq8rT4vW2yB6nD0fH3jK5mP7sU9xA1cE
printf '%s\n' "$notify_apiv3" >"$T/notify.key"
resource='{"mchid":"1900000109","appid":"wxd678efh567hg6787","out_trade_no":"1217752501201407033233368018",'
resource+='"transaction_id":"4200000000201806081234567890","trade_type":"JSAPI","trade_state":"SUCCESS",'
resource+='"trade_state_desc":"支付成功","success_time":"2018-06-08T10:34:56+08:00",'
resource+='"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":100,"currency":"CNY"}}'
printf '%s' "$resource" >"$T/resource.json"
resource_nonce=fR2kP9wQ4zLm
run encrypt --apiv3-key-file "$T/notify.key" --nonce "$resource_nonce" \
    --associated-data transaction --plaintext-file "$T/resource.json"
body='{"id":"EV-2018022511223320873","create_time":"2015-05-20T13:29:35+08:00",'
body+='"resource_type":"encrypt-resource","event_type":"TRANSACTION.SUCCESS","summary":"支付成功",'
body+='"resource":{"original_type":"transaction","algorithm":"AEAD_AES_256_GCM",'
body+="\"ciphertext\":\"$(<"$T/out")\",\"associated_data\":\"transaction\",\"nonce\":\"$resource_nonce\"}}"
printf '%s' "$body" >"$T/notify_body.json"

# Signed now over TIMESTAMP\nNONCE\nBODY\n with the throwaway key.
notify_ts=$(date +%s)
notify_nonce=5K8264ILTKCH16CQ2502SI8ZNMTM67VS
printf '%s\n%s\n%s\n' "$notify_ts" "$notify_nonce" "$body" >"$T/notify_message"
run sign --private-key "$T/wx_key.pem" --message-file "$T/notify_message"
notify_sig=$(<"$T/out")
# notify_headers SERIAL FILE: the headers as `curl -D` writes them (status line, CRLF, any case).
notify_headers() {
    {
        printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n'
        printf 'wechatpay-serial: %s\r\nWechatpay-Timestamp: %s\r\n' "$1" "$notify_ts"
        printf 'WECHATPAY-NONCE: %s\r\nWechatpay-Signature: %s\r\n' "$notify_nonce" "$notify_sig"
        printf 'Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048\r\n'
        printf 'Request-ID: 08F5B8C2B506102C18FDDFEEA30620BE821E28EDC405-0\r\n\r\n'
    } >"$2"
}
wx_pub_id=PUB_KEY_ID_0000000000000000000000000000000001
notify_headers "$wx_serial" "$T/notify_headers"
notify_headers "$wx_pub_id" "$T/notify_headers_pub"
notification=(--headers-file "$T/notify_headers" --body-file "$T/notify_body.json")

expect_out "notify: decrypts a notification verified with a certificate" "$resource"$'\n' \
    notify --apiv3-key "$notify_apiv3" "${notification[@]}" \
    --certificate "$JAVA/wechat_pay_certificate.pem" --certificate "$T/wx_cert.pem"
expect_out "notify: public key, --apiv3-key-file, body from stdin, --now" "$resource"$'\n' \
    notify --apiv3-key-file "$T/notify.key" --headers-file "$T/notify_headers_pub" --body-file - \
    --public-key "$T/wx_pub.pem" --public-key-id "$wx_pub_id" --now $((notify_ts + 299)) \
    <"$T/notify_body.json"
expect_out "notify: headers from stdin" "$resource"$'\n' \
    notify --apiv3-key "$notify_apiv3" --headers-file - --body-file "$T/notify_body.json" \
    --certificate "$T/wx_cert.pem" <"$T/notify_headers"
sed 's/EV-2018022511223320873/EV-2018022511223320874/' "$T/notify_body.json" >"$T/tampered.json"
expect "notify: tampered body" 1 notify --apiv3-key "$notify_apiv3" \
    --headers-file "$T/notify_headers" --body-file "$T/tampered.json" --certificate "$T/wx_cert.pem"
check "notify: nothing on stdout when it fails" test ! -s "$T/out"
expect "notify: wrong APIv3 key" 1 \
    notify --apiv3-key "$wrong_apiv3" "${notification[@]}" --certificate "$T/wx_cert.pem"
expect "notify: stale --now" 1 notify --apiv3-key "$notify_apiv3" "${notification[@]}" \
    --certificate "$T/wx_cert.pem" --now $((notify_ts + 301))
expect "notify: unknown serial" 1 notify --apiv3-key "$notify_apiv3" "${notification[@]}" \
    --certificate "$GO/cert_F5765756002FDD77.pem"
expect "notify: headers and body cannot both come from stdin" 2 notify --apiv3-key "$notify_apiv3" \
    --headers-file - --body-file - --certificate "$T/wx_cert.pem" <"$T/notify_headers"
expect "notify: APIv3 key of the wrong length" 2 \
    notify --apiv3-key "${notify_apiv3:0:16}" "${notification[@]}" --certificate "$T/wx_cert.pem"
expect "notify: missing --headers-file" 2 notify --apiv3-key "$notify_apiv3" \
    --body-file "$T/notify_body.json" --certificate "$T/wx_cert.pem"
# A signature header given twice: which copy counts would decide the verdict, so neither does.
{ cat "$T/notify_headers"; printf 'Wechatpay-Signature: %s\r\n' "${notify_sig/A/B}"; } >"$T/notify_headers_twice"
expect "notify: a repeated Wechatpay-Signature is refused (either order)" 1 notify --apiv3-key "$notify_apiv3" \
    --headers-file "$T/notify_headers_twice" --body-file "$T/notify_body.json" --certificate "$T/wx_cert.pem"
check "notify: the refusal names the repeated header" grep -qF "Wechatpay-Signature appears more than once" "$T/err"
{ printf 'wechatpay-timestamp: %s\r\n' "$((notify_ts - 1))"; cat "$T/notify_headers"; } >"$T/notify_headers_twice"
expect "notify: a repeated Wechatpay-Timestamp is refused" 1 notify --apiv3-key "$notify_apiv3" \
    --headers-file "$T/notify_headers_twice" --body-file "$T/notify_body.json" --certificate "$T/wx_cert.pem"
# The signer's inputs are lines of the signed message: a line break in any is usage (exit 2).
bare_sign=(sign --private-key "$DOC_KEY" --mchid 1900007291 --serial "$mch_serial" "${pinned[@]}")
expect "sign: a --url holding CR LF is refused" 2 "${bare_sign[@]}" --method GET --url $'/v3/certificates\r\nX-Injected: 1'
check "sign: the refusal quotes the URL on one line" grep -qF '"/v3/certificates\r\nX-Injected: 1" is not /path?query' "$T/err"
expect "sign: a --url that is not origin-form (#fragment) is refused" 2 "${bare_sign[@]}" --method GET \
    --url '/v3/certificates#x'
expect "sign: a --method with a space is refused" 2 "${bare_sign[@]}" --method 'GET /x' --url /v3/certificates
expect "pay-params: a --prepay-id holding a line feed is refused" 2 pay-params app --private-key "$DOC_KEY" \
    --appid "$appid" --mchid 1900007291 --prepay-id $'wx1\nwx2' --timestamp "$pay_ts" --nonce "$pay_nonce"
expect "pay-params: a --nonce holding a line feed is refused" 2 pay-params jsapi "${pay_params[@]}" \
    --timestamp "$pay_ts" --nonce $'N\nX'
# Lengths AES-GCM cannot take and ciphertexts that are not base64 are the caller's mistakes: exit 2.
expect "decrypt: a 129-character nonce" 2 decrypt --apiv3-key "$notify_apiv3" --nonce "$(printf 'n%.0s' {1..129})" \
    --associated-data transaction --ciphertext AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
expect "decrypt: an 11-character nonce" 2 decrypt --apiv3-key "$notify_apiv3" --nonce 12345678901 \
    --associated-data transaction --ciphertext AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
expect "decrypt: a ciphertext shorter than the tag" 2 decrypt --apiv3-key "$notify_apiv3" --nonce 123456789012 \
    --associated-data transaction --ciphertext AAAA
expect "decrypt: a ciphertext that is not base64" 2 decrypt --apiv3-key "$notify_apiv3" --nonce 123456789012 \
    --associated-data transaction --ciphertext 'not base64!'
expect "oaep-decrypt: a ciphertext that is not base64" 2 oaep-decrypt --private-key "$DOC_KEY" --ciphertext '%%%'

# ---- usage errors ------------------------------------------------------------------------

expect "no command" 2
expect "unknown command" 2 sing --private-key "$DOC_KEY"
raw_sign=(sign --private-key "$DOC_KEY" --message-file "$T/random.bin")
expect "unknown option" 2 "${raw_sign[@]}" --colour
check "unknown option: named on stderr" grep -q -- "--colour" "$T/err"
expect "unknown option with a value" 2 \
    decrypt --apiv3-key "$apiv3" "${aes[@]}" --ciphertext "$aes_ct" --apiv3key="$apiv3"
check "unknown option with a value: the value is not echoed" not_in_err "$apiv3"
expect "missing required option" 2 sign --message-file "$T/random.bin"
check "missing required option: named on stderr" grep -q -- "--private-key" "$T/err"
expect "missing option value" 2 sign --private-key "$DOC_KEY" --message-file
expect "option given twice" 2 "${raw_sign[@]}" --private-key "$DOC_KEY"
expect "stray argument" 2 serial --certificate "$T/wx_cert.pem" extra
expect "sign: request options do not go with --message-file" 2 "${raw_sign[@]}" --mchid 1900007291
expect "sign: a request needs --url" 2 \
    sign --private-key "$DOC_KEY" --mchid 1900007291 --serial ABC --method GET
expect "sign: --timestamp must be a number" 2 "${sign_request[@]}" --timestamp 12x
expect "nonexistent key file" 2 \
    sign --private-key "$T/no-such-key.pem" --message-file "$T/random.bin"
check "nonexistent key file: one line on stderr starting 'wechatpay: '" \
    test "$(wc -l <"$T/err")" = 1 -a "$(cut -c1-11 "$T/err")" = "wechatpay: "
expect "a certificate is not a private key" 2 \
    sign --private-key "$T/wx_cert.pem" --message-file "$T/random.bin"
expect "unreadable body file" 2 "${sign_request[@]}" --body-file "$T/no-such-body.json"

# ---- help --------------------------------------------------------------------------------

verbs=(sign verify notify decrypt encrypt oaep-encrypt oaep-decrypt pay-params serial)
run --help
for verb in "${verbs[@]}"; do
    check "--help lists $verb" grep -q "^  $verb " "$T/out"
done
for verb in "${verbs[@]}"; do
    expect "$verb --help" 0 "$verb" --help
    check "$verb --help mentions $verb" grep -q "wechatpay $verb" "$T/out"
done
expect "help VERB" 0 help notify
check "help VERB prints the verb's help" grep -q -- "--headers-file" "$T/out"

# ---- hostile inputs: files that never end, loose numbers, configs, overwritten keys ----------

in_err() { grep -qF -- "$1" "$T/err"; }
started=$SECONDS
expect "--apiv3-key-file /dev/zero: refused" 2 decrypt --apiv3-key-file /dev/zero --nonce 0123456789ab --associated-data x \
    --ciphertext AAAA
check "--apiv3-key-file /dev/zero: says which limit" \
    in_err '--apiv3-key-file "/dev/zero": larger than 4 KiB, the most an APIv3 key file holds'
expect "--private-key /dev/zero: refused" 2 sign --private-key /dev/zero --message-file /dev/null
check "--private-key /dev/zero: says which limit" \
    in_err 'larger than 64 KiB, the most a PEM key or certificate file holds'
expect "--message-file /dev/zero: refused" 2 sign --private-key "$DOC_KEY" --message-file /dev/zero
check "--message-file /dev/zero: says which limit" in_err 'the most a message to sign holds'
expect "--config /dev/zero: refused" 2 request GET /v3/certificates --config /dev/zero
check "--config /dev/zero: says which limit" in_err 'larger than 1 MiB, the most a config file holds'
expect "--apiv3-key-file - from an endless stdin: refused" 2 \
    decrypt --apiv3-key-file - --nonce 0123456789ab --associated-data x --ciphertext AAAA </dev/zero
check "stdin: says which limit" in_err 'larger than 4 KiB, the most an APIv3 key file holds'
mkfifo "$T/fifo"
expect "--apiv3-key-file FIFO without a writer: refused, no hang" 2 \
    decrypt --apiv3-key-file "$T/fifo" --nonce 0123456789ab --associated-data x --ciphertext AAAA
check "endless and odd files were refused within seconds" test $((SECONDS - started)) -lt 20
expect "a path with a line break: refused" 2 sign --private-key $'/nonexistent/a\r\nforged line' \
    --message-file /dev/null
check "a path with a line break: escaped, on one line" test "$(wc -l <"$T/err")" = 1
check "a path with a line break: shown escaped" in_err 'a\r\nforged line'
expect "a 100 KB path: refused" 2 sign --private-key "/$(head -c 100000 /dev/zero | tr '\0' x)" \
    --message-file /dev/null
check "a 100 KB path: cut in the message" test "$(wc -c <"$T/err")" -lt 1000

expect "an unknown option with a line break: refused" 2 sign $'--x\nwechatpay: forged'
check "an unknown option with a line break: escaped, on one line" test "$(wc -l <"$T/err")" = 1

for bad in 5abc -1 0 +5 " 5" 1e3 99999999999999999999 31536001 ""; do
    expect "sim --max-seconds '$bad': refused" 2 sim --generate "$T/never" --max-seconds "$bad"
done
check "--max-seconds: names the option and the range" in_err '--max-seconds: must be a whole number from 1 to 31536000'
check "--max-seconds refused before anything is generated" test ! -e "$T/never"
for bad in 5abc -1 +5 1e3 99999999999999999999 253402300800; do
    expect "verify --now '$bad': refused" 2 verify --serial S --timestamp 1 --nonce n --signature AAAA \
        --public-key "$T/wx_pub.pem" --public-key-id PUB_KEY_ID_1 --now "$bad"
done
check "--now: names the option and the range" in_err '--now: must be a whole number from 0 to 253402300799'

echo '{"mchidd": "1900000109"}' >"$T/typo.json"
expect "client config with an unknown key: refused" 2 request GET /v3/certificates --config "$T/typo.json"
check "client config with an unknown key: names it" in_err 'unknown key "mchidd"'
echo '{"mchid": "1", "mchid": "2"}' >"$T/dup.json"
expect "client config with a duplicated key: refused" 2 request GET /v3/certificates --config "$T/dup.json"
check "client config with a duplicated key: names it" in_err 'duplicate key "mchid"'
echo '{"retry": {"max_attempts": 1e12}}' >"$T/range.json"
expect "client config number out of range: refused" 2 request GET /v3/certificates --config "$T/range.json"
check "client config number out of range: said so" in_err 'retry.max_attempts: out of range: must be an integer from 1 to 100'
echo '{"threads": 2, "treads": 3, "merchants": []}' >"$T/simtypo.json"
expect "sim config with an unknown key: refused" 2 sim --config "$T/simtypo.json" --max-seconds 1
check "sim config with an unknown key: names it" in_err 'unknown key "treads"'

mkdir "$T/keys"
echo "MERCHANT KEY" >"$T/keys/apiclient_key.pem"
expect "sim --generate over an existing key: refused" 2 sim --generate "$T/keys" --max-seconds 1
check "sim --generate: names the file" in_err "apiclient_key.pem\" exists: not overwritten (give --force to replace it)"
check "sim --generate: the merchant's key is untouched" grep -qx "MERCHANT KEY" "$T/keys/apiclient_key.pem"
check "sim --generate: nothing else was written" test ! -e "$T/keys/simulator.json"
expect "sim --force without --generate: refused" 2 sim --config "$T/simtypo.json" --force
expect "sim --force=x: refused (a flag)" 2 sim --generate "$T/keys" --force=x
expect "sim --generate --force: replaces" 0 sim --generate "$T/keys" --force --max-seconds 1
check "sim --generate --force: the key was replaced" grep -q "PRIVATE KEY" "$T/keys/apiclient_key.pem"
for f in apiclient_key.pem platform_key.pem wechatpay_pub_key_private.pem simulator.json tls/server.key; do
    check "sim --generate: $f is 0600" test "$(stat -c %a "$T/keys/$f")" = 600
done
check "sim --generate: a certificate is 0644" test "$(stat -c %a "$T/keys/apiclient_cert.pem")" = 644

# ---- complaints: a support desk against the simulator ---------------------------------------
# A simulator of its own (wechatpay sim --generate), a paid order, a complaint filed through the
# control API; then list, show, respond (with an uploaded image) and complete from the shell.

C=$T/csim
"$W" sim --generate "$C" --max-seconds 300 >"$T/cstart" 2>"$T/csim.err" &
CSIM_PID=$!
trap 'kill "$CSIM_PID" 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 1 300); do
    [[ -s $T/cstart ]] && break
    sleep 0.1
done
CADDR=$(sed -n 's/^{"listening":"\([^"]*\)".*/\1/p' "$T/cstart")
CCA=$(sed -n 's/.*"ca":"\([^"]*\)"}$/\1/p' "$T/cstart")
CMCHID=$(sed -n 's/.*"mchid":"\([^"]*\)".*/\1/p' "$C/simulator.json" | head -n1)
CAPPID=$(sed -n 's/.*"appids":\["\([^"]*\)".*/\1/p' "$C/simulator.json")
today=$(date -u -d '+8 hours' +%F)
phone=13800138066
order=CLICOMPLAINT$(date +%s)
printf '{"appid":"%s","mchid":"%s","description":"cli","out_trade_no":"%s","notify_url":"https://merchant.example.com/n","amount":{"total":100}}' \
    "$CAPPID" "$CMCHID" "$order" >"$T/prepay.json"
run request POST /v3/pay/transactions/native --config "$C/client.json" --body-file "$T/prepay.json"
check "complaints: an order to complain about" test "$status" = 0
curl -sS --cacert "$CCA" -o /dev/null -X POST -d '{}' "https://$CADDR/sim/orders/$order/pay"
printf '\x89PNG\r\n\x1a\n' >"$T/proof.png"
head -c 3000 /dev/urandom >>"$T/proof.png"
printf '{"out_trade_no":"%s","detail":"重复扣费","phone":"%s","images":[{"filename":"p.png","base64":"%s"}]}' \
    "$order" "$phone" "$(base64 -w0 "$T/proof.png")" >"$T/complaint.json"
complaint=$(curl -sS --cacert "$CCA" -X POST --data-binary @"$T/complaint.json" "https://$CADDR/sim/complaints" |
    sed -n 's/.*"complaint_id":"\([^"]*\)".*/\1/p')
check "complaints: the simulator filed one" test -n "$complaint"

run complaints list --config "$C/client.json" --from "$today" --to "$today"
check "complaints list: exit 0" test "$status" = 0
check "complaints list: one JSON object a line" test "$(wc -l <"$T/out")" = 1
check "complaints list: names the complaint" grep -q "\"complaint_id\":\"$complaint\"" "$T/out"
check "complaints list: the phone decrypted" grep -q "\"payer_phone\":\"$phone\"" "$T/out"
expect "complaints list: --to before --from refused" 2 complaints list --config "$C/client.json" --from "$today" --to 2020-01-01
expect "complaints list: --from is required" 2 complaints list --config "$C/client.json" --to "$today"
expect "complaints list --help" 0 complaints list --help
check "complaints: the top-level help lists the verbs" bash -c "'$W' --help | grep -q 'complaints respond'"

run complaints show "$complaint" --config "$C/client.json"
check "complaints show: exit 0" test "$status" = 0
check "complaints show: PENDING" grep -q '"complaint_state":"PENDING"' "$T/out"
check "complaints show: its history" grep -q '"operate_type":"USER_CREATE_COMPLAINT"' "$T/out"
expect "complaints show: an unknown complaint is an API error" 1 complaints show 200201820000000000000000000 --config "$C/client.json"

printf 'GIF89a' >"$T/x.gif"
expect "complaints respond: a GIF is refused before any I/O" 2 complaints respond "$complaint" --config "$C/client.json" --text hi --image "$T/x.gif"
expect "complaints respond: five images are refused" 2 complaints respond "$complaint" --config "$C/client.json" --text hi \
    --image "$T/proof.png" --image "$T/proof.png" --image "$T/proof.png" --image "$T/proof.png" --image "$T/proof.png"
expect "complaints respond: text and image" 0 complaints respond "$complaint" --config "$C/client.json" --text "已退款" --image "$T/proof.png"
run complaints show "$complaint" --config "$C/client.json"
check "complaints respond: now PROCESSING" grep -q '"complaint_state":"PROCESSING"' "$T/out"
check "complaints respond: the answer in the history" grep -q '"operate_details":"已退款"' "$T/out"

expect "complaints complete" 0 complaints complete "$complaint" --config "$C/client.json"
run complaints show "$complaint" --config "$C/client.json"
check "complaints complete: PROCESSED" grep -q '"complaint_state":"PROCESSED"' "$T/out"
expect "complaints respond: a processed complaint takes no answer" 1 complaints respond "$complaint" --config "$C/client.json" --text again
check "complaints: the phone never on stderr" bash -c "! grep -q '$phone' '$T/stderr.log'"

# ---- transfer: a payout against the same simulator ----------------------------------------

payee=张小明
bill=CLITRANSFER$(date +%s)
run transfer --config "$C/client.json" --openid o-cli-payee --amount 250000 --scene 1000 --remark "活动奖励" \
    --user-name "$payee" --out-bill-no "$bill"
check "transfer: exit 0" test "$status" = 0
check "transfer: WeChat's answer names the bill" grep -q "\"out_bill_no\":\"$bill\"" "$T/out"
check "transfer: waits for the user" grep -q '"state":"WAIT_USER_CONFIRM"' "$T/out"
check "transfer: package_info to hand over" grep -q '"package_info":"' "$T/out"
check "transfer: one JSON object" test "$(wc -l <"$T/out")" = 1
first=$(sed -n 's/.*"transfer_bill_no":"\([^"]*\)".*/\1/p' "$T/out")
run transfer --config "$C/client.json" --openid o-cli-payee --amount 250000 --scene 1000 --remark "活动奖励" \
    --user-name "$payee" --out-bill-no "$bill"
check "transfer: the same out_bill_no again is the same bill" grep -q "\"transfer_bill_no\":\"$first\"" "$T/out"
expect "transfer: 2,000 yuan without --user-name is refused before any I/O" 2 transfer --config "$C/client.json" \
    --openid o-cli-payee --amount 200000 --scene 1000 --remark x
expect "transfer: --amount 0 is refused" 2 transfer --config "$C/client.json" --openid o --amount 0 --scene 1000 --remark x
expect "transfer: a bad --out-bill-no is refused" 2 transfer --config "$C/client.json" --openid o --amount 1 --scene 1000 \
    --remark x --out-bill-no "a-b"
expect "transfer: the same number with another amount is an API error" 1 transfer --config "$C/client.json" \
    --openid o-cli-payee --amount 250001 --scene 1000 --remark "活动奖励" --user-name "$payee" --out-bill-no "$bill"
check "transfer: a failed call says to keep the number" grep -q -- "--out-bill-no $bill" "$T/err"
confirmed=$(curl -sS --cacert "$CCA" -X POST -d '{}' "https://$CADDR/sim/transfers/$bill/confirm")
check "transfer: the simulator decrypted the name sent" bash -c "printf '%s' '$confirmed' | grep -q '\"user_name_received\":\"$payee\"'"
expect "transfer --help" 0 transfer --help
check "transfer: the name never on stderr" bash -c "! grep -q '$payee' '$T/stderr.log'"
# ---- a service provider: the generated client.json names a default sub-merchant ----------------
check "sim --generate: client.json names a sub_mchid" grep -q '"sub_mchid":"1900000201"' "$C/client.json"
sp_order=CLIPARTNER$(date +%s)
printf '{"sp_appid":"%s","sp_mchid":"%s","sub_mchid":"1900000202","description":"cli","out_trade_no":"%s","notify_url":"https://merchant.example.com/n","amount":{"total":100}}' \
    "$CAPPID" "$CMCHID" "$sp_order" >"$T/partner.json"
run request POST /v3/pay/partner/transactions/native --config "$C/client.json" --body-file "$T/partner.json"
check "request: a partner prepay for a bound sub-merchant" test "$status" = 0
run request GET "/v3/pay/partner/transactions/out-trade-no/$sp_order?sp_mchid=$CMCHID&sub_mchid=1900000202" --config "$C/client.json"
check "request: the partner query names the sub-merchant" grep -q '"sub_mchid":"1900000202"' "$T/out"
sed 's/1900000202/1999999999/' "$T/partner.json" >"$T/stranger.json"
run request POST /v3/pay/partner/transactions/native --config "$C/client.json" --body-file "$T/stranger.json"
check "request: an unbound sub-merchant is refused (INVALID_REQUEST)" grep -q 'INVALID_REQUEST' "$T/out"
# bill --sub-mchid: this simulator bills as WeChat does (a day's bill from 10:00 the next day),
# so a quiet day two days back shows the encrypted fund-flow endpoint answering for the
# sub-merchant; the round trip itself is in the client tests.
quiet=$(date -u -d '+8 hours -2 days' +%F)
expect "bill fundflow --sub-mchid: a day without movements is an API error" 1 \
    bill fundflow --config "$C/client.json" --date "$quiet" --sub-mchid 1900000202
check "bill fundflow --sub-mchid: WeChat's NO_STATEMENT_EXIST" in_err NO_STATEMENT_EXIST
expect "bill fundflow --sub-mchid: an unbound sub-merchant is refused" 1 \
    bill fundflow --config "$C/client.json" --date "$quiet" --sub-mchid 1999999999
check "bill fundflow --sub-mchid: INVALID_REQUEST" in_err INVALID_REQUEST
expect "bill trade --sub-mchid: the sub-merchant's trade bill" 1 \
    bill trade --config "$C/client.json" --date "$quiet" --sub-mchid 1900000202
check "bill trade --sub-mchid: NO_STATEMENT_EXIST" in_err NO_STATEMENT_EXIST
expect "bill fundflow --sub-mchid: account_type ALL refused before I/O" 2 \
    bill fundflow --config "$C/client.json" --date "$quiet" --sub-mchid 1900000202 --type ALL
expect "bill --sub-mchid '': refused" 2 bill fundflow --config "$C/client.json" --date "$quiet" --sub-mchid ""
kill "$CSIM_PID" 2>/dev/null || true

# ---- no secret ever reached stderr -------------------------------------------------------

secrets=("$apiv3" "$notify_apiv3" "$wrong_apiv3" "${apiv3:0:31}" "${notify_apiv3:0:16}")
for key in "$DOC_KEY" "$T/wx_key.pem" "$GO/test_private_key_pkcs8.pem"; do
    while IFS= read -r line; do
        [[ $line == -----* || -z $line ]] || secrets+=("$line")
    done <"$key"
done
leaks=0
for secret in "${secrets[@]}"; do
    if grep -qF -- "$secret" "$T/stderr.log"; then leaks=$((leaks + 1)); fi
done
check "no private key line or APIv3 key in $(wc -l <"$T/stderr.log") lines of stderr" \
    test "$leaks" = 0

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
