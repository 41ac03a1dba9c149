// Merchant transfer bills (商家转账, the 2025 "user confirms" API) and their electronic receipts
// (电子回单), for direct merchants, as pay.weixin.qq.com documents them:
//   create  POST /v3/fund-app/mch-transfer/transfer-bills            (docs/merchant/apis/mch-trans/transfer-bill/transfer-to-user.html)
//   query   GET  …/transfer-bills/out-bill-no/{out_bill_no}          (…/get-transfer-bill-by-out-no.html, 100 QPS)
//           GET  …/transfer-bills/transfer-bill-no/{transfer_bill_no} (…/get-transfer-bill-by-no.html)
//   cancel  POST …/transfer-bills/out-bill-no/{out_bill_no}/cancel   (doc/v3/merchant/4012716458)
//   receipt POST /v3/fund-app/mch-transfer/elecsign/out-bill-no, GET …/elecsign/out-bill-no/{no},
//           GET …/elecsign/transfer-bill-no/{no}                     (docs/merchant/apis/mch-trans/elecsign/…)
//   notification MCHTRANSFER.BILL.FINISHED, original_type mch_payment (…/batch-transfer-to-balance/callback-notice.html)
//
// THE RETRY RULE. WeChat: "接口返回的HTTP状态码不为200时,请务必不要立即更换商户订单单号重试 … 否则会有重复
// 转账的资金风险". After any answer that is not 200, or no answer at all (timeout, connection
// lost, cancellation), the transfer may have been made: never create another bill with a new
// out_bill_no. Query by the same out_bill_no, or send the same request again with the same
// out_bill_no (WeChat returns the bill it has); only once the bill is FAIL or CANCELLED (or the
// query says it does not exist) is a new out_bill_no safe. The client's own retries (transport
// failures, 5xx, 429) resend the very same body — the same out_bill_no, the same ciphertext of
// user_name — so they can never pay twice.
//
// user_name is personal data: the client encrypts it with WeChat Pay's preferred key
// (RSA-OAEP) and sends that key's serial as Wechatpay-Serial; the plaintext is wiped after
// encryption and appears in no log, error or to_string().
#pragma once

#include <wechatpay/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay {

// Limits WeChat documents for transfer-bills (string(N) lengths; transfer_remark "最多允许32个字符").
inline constexpr std::size_t max_out_bill_no = 32;
inline constexpr std::size_t max_transfer_scene_id = 36;
inline constexpr std::size_t max_transfer_openid = 64;
inline constexpr std::size_t max_transfer_remark = 32;   // UTF-8 characters
inline constexpr std::size_t max_transfer_notify_url = 256;
// "转账金额 >= 2,000元时,该笔明细必须填写" user_name: from 200000 fen on.
inline constexpr std::int64_t transfer_user_name_from = 200000;

// A bill's state (单据状态). unknown: a state this SDK does not know (kept as text in state_text).
enum class transfer_state {
    accepted,           // ACCEPTED: 转账已受理
    processing,         // PROCESSING: 转账锁定资金中 (check the balance if it stays here)
    wait_user_confirm,  // WAIT_USER_CONFIRM: the user can confirm with package_info
    transfering,        // TRANSFERING: 转账中 (WeChat's spelling)
    success,            // SUCCESS (final)
    fail,               // FAIL (final): fail_reason says why
    canceling,          // CANCELING: 撤销中
    cancelled,          // CANCELLED (final)
    unknown
};
std::string_view to_string(transfer_state s);  // WeChat's text; "UNKNOWN" for unknown
transfer_state parse_transfer_state(std::string_view text);
// SUCCESS, FAIL or CANCELLED: the bill will not change any more.
bool is_final(transfer_state s);

struct transfer_scene_report_info {
    std::string info_type;     // e.g. 活动名称, 奖励说明 (as the scene requires)
    std::string info_content;
};

// POST /v3/fund-app/mch-transfer/transfer-bills.
struct transfer_bill_request {
    std::string appid;              // ≤ 32; empty: the client's appid
    std::string out_bill_no;        // required, 1–32 of 0-9 A-Z a-z. See THE RETRY RULE above.
    std::string transfer_scene_id;  // required, ≤ 36 (e.g. 1000 现金营销)
    std::string openid;             // required, ≤ 64: the payee under appid
    std::int64_t transfer_amount = 0;  // fen, > 0
    std::string transfer_remark;    // required, ≤ 32 characters; the user sees it
    std::string notify_url;         // optional: https, ≤ 256, no query (MCHTRANSFER.BILL.FINISHED goes there)
    std::string user_recv_perception;  // optional: what the user sees as the reason (e.g. 现金奖励)
    std::vector<transfer_scene_report_info> transfer_scene_report_infos;  // required, ≥ 1, each field non-empty
    // The payee's real name, plaintext: required from transfer_user_name_from fen on. The client
    // encrypts it; never logged.
    std::string user_name;

    // invalid_argument naming the field, before any I/O. appid must be filled by then.
    result<void> validate() const;
    // The body WeChat takes, user_name given already encrypted (omitted when empty).
    std::string to_json(std::string_view encrypted_user_name) const;
};

// What the mini-program (wx.requestMerchantTransfer) or the app (WXOpenBusinessView with
// businessType requestMerchantTransfer) needs for the user to confirm: hand to_json() over.
struct transfer_confirm_params {
    std::string mchId;
    std::string appId;
    std::string package;  // package_info, as WeChat gave it
    std::string to_json() const;  // {"mchId","appId","package"}
};

// A transfer bill as WeChat answers create, query and cancel, and as the notification carries
// it; each answer fills the fields it has.
struct transfer_bill {
    std::string mch_id;
    std::string out_bill_no;
    std::string transfer_bill_no;
    std::string appid;
    transfer_state state = transfer_state::unknown;
    std::string state_text;    // as received
    std::int64_t transfer_amount = 0;
    std::string transfer_remark;
    std::string fail_reason;   // FAIL only
    std::string openid;
    std::string create_time, update_time;
    std::string package_info;  // create, WAIT_USER_CONFIRM: for the user's confirmation
    // Filled by async_create_transfer when package_info came: ready for the front end.
    transfer_confirm_params confirm;
    std::string raw;           // the answer as received

    // One line for logs: numbers, state, amount; no name, no package.
    std::string to_string() const;
};

result<transfer_bill> parse_transfer_bill(std::string_view json);

// An electronic receipt's application (电子回单): GENERATING, FINISHED (download_url, hash) or FAILED.
struct transfer_receipt {
    std::string state;
    std::string create_time, update_time;
    std::string hash_type;   // SHA256 (SM3 is refused when downloading: unsupported_algorithm)
    std::string hash_value;  // of the file
    std::string download_url;  // valid 10 minutes; ask again for a fresh one (no new application)
    std::string fail_reason;
    std::string out_bill_no, transfer_bill_no;
};
result<transfer_receipt> parse_transfer_receipt(std::string_view json);

// A receipt file downloaded and checked against hash_value.
struct receipt_download {
    std::uint64_t bytes = 0;
    std::string sha256;  // lower-case hex
    std::string request_id;
};

// Checks before I/O for the ids in paths.
result<void> check_out_bill_no(std::string_view no);
result<void> check_transfer_bill_no(std::string_view no);

}  // namespace wechatpay
