// transfer: a merchant transfer bill (商家转账) to a user, who then confirms it in WeChat.
#include "client_run.hpp"
#include "commands.hpp"
#include "common.hpp"

#include <wechatpay/crypto.hpp>

#include <array>
#include <iostream>

namespace wechatpay::cli {
namespace {

constexpr std::array transfer_options{
    config_option,
    option{"openid", "OPENID", "the payee, under the config's appid", true},
    option{"amount", "FEN", "the amount in fen (from 200000 fen on, --user-name is required)", true},
    option{"scene", "ID", "transfer_scene_id, e.g. 1000 (现金营销)", true},
    option{"remark", "TEXT", "transfer_remark the user sees (at most 32 characters)", true},
    option{"user-name", "NAME", "the payee's real name (sent encrypted; WeChat checks it)"},
    option{"out-bill-no", "NO", "the merchant's number (0-9 A-Z a-z, ≤ 32); made up when absent"},
    option{"notify-url", "URL", "where MCHTRANSFER.BILL.FINISHED goes (https)"},
    option{"perception", "TEXT", "user_recv_perception, e.g. 现金奖励"},
    option{"report", "TYPE=CONTENT", "a transfer_scene_report_infos entry (default: 活动名称 and 奖励说明 = --remark)",
           false, true},
};

int run_transfer(const args& a) {
    transfer_bill_request req;
    req.openid = a.get("openid");
    req.transfer_amount = parse_integer(a.get("amount"), "--amount", 1, 2147483647);
    req.transfer_scene_id = a.get("scene");
    req.transfer_remark = a.get("remark");
    if (auto v = a.find("user-name")) req.user_name = *v;
    if (auto v = a.find("notify-url")) req.notify_url = *v;
    if (auto v = a.find("perception")) req.user_recv_perception = *v;
    // A new number only for a new transfer: after a failure, run again with the same one.
    req.out_bill_no = a.find("out-bill-no").value_or("cli" + random_nonce(29));
    for (const auto& entry : a.all("report")) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos) usage_error(named("--report", entry) + ": must be TYPE=CONTENT");
        req.transfer_scene_report_infos.push_back({entry.substr(0, eq), entry.substr(eq + 1)});
    }
    if (req.transfer_scene_report_infos.empty())
        req.transfer_scene_report_infos = {{"活动名称", req.transfer_remark}, {"奖励说明", req.transfer_remark}};
    const std::string no = req.out_bill_no;
    auto bill = run_client<transfer_bill>(
        a.get("config"), [&req](client& c, auto done) { c.async_create_transfer(req, std::move(done)); });
    secure_wipe(req.user_name);
    if (!bill) {
        // The retry rule: the transfer may exist even though the call failed.
        if (!bill.error().is(errc::invalid_argument))
            std::cerr << "the transfer " << no << " may exist: query it, or run again with --out-bill-no " << no
                      << " (never a new number)\n";
        fail(bill.error(), "transfer " + no);
    }
    print_line(bill->raw);
    return exit_ok;
}

}  // namespace

const command transfer_command{
    "transfer",
    "pay a user: create a merchant transfer bill for them to confirm",
    "transfer --config FILE --openid OPENID --amount FEN --scene ID --remark TEXT [--user-name NAME]\n"
    "         [--out-bill-no NO] [--notify-url URL] [--perception TEXT] [--report TYPE=CONTENT]...",
    "Creates the transfer bill (POST /v3/fund-app/mch-transfer/transfer-bills) and prints\n"
    "WeChat Pay's answer as one JSON object: out_bill_no, transfer_bill_no, create_time,\n"
    "state and package_info, which the mini-program or app hands to requestMerchantTransfer.\n"
    "--user-name is encrypted with WeChat Pay's key. After a failed call the transfer may\n"
    "exist: run again with the same --out-bill-no (printed on stderr), never a new one.\n"
    "Exit 0 when created, 1 for an API error or a failed call, 2 for a usage or config error\n"
    "(the request is checked before anything is sent).",
    transfer_options,
    0,
    run_transfer,
};

}  // namespace wechatpay::cli
