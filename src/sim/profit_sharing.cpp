// Rules and answers follow pay.weixin.qq.com's direct-merchant profit-sharing pages:
// 请求分账 (docs/merchant/products/profit-sharing/apilist.html), 查询分账结果
// (docs/merchant/apis/profit-sharing/orders/query-order.html), 查询剩余待分金额
// (…/transactions/query-order-amount.html), 申请分账账单 (wiki/doc/apiv3/apis/chapter8_1_11.shtml),
// 分账动账通知 (wiki/doc/apiv3/apis/chapter8_1_10.shtml).
#include "sim/profit_sharing.hpp"
#include "sim/fields.hpp"

#include "core/request_checks.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/profit_sharing.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace wechatpay::sim {

namespace json = boost::json;

namespace {

constexpr std::int64_t minute = 60, day_s = 86400;
// 请求分账: a split no sooner than a minute after payment, and within 30 days of it.
constexpr std::int64_t earliest_split = minute, latest_split = 30 * day_s;

constexpr std::string_view names[] = {
    "/v3/profitsharing/orders", "/v3/profitsharing/orders/{out_order_no}", "/v3/profitsharing/orders/unfreeze",
    "/v3/profitsharing/return-orders", "/v3/profitsharing/return-orders/{out_return_no}",
    "/v3/profitsharing/transactions/{transaction_id}/amounts", "/v3/profitsharing/receivers/add",
    "/v3/profitsharing/receivers/delete", "/v3/profitsharing/bills"};

answer invalid_request(std::string_view why) { return error_answer(400, "INVALID_REQUEST", why); }
answer not_found(std::string_view why) { return error_answer(404, "RESOURCE_NOT_EXISTS", why); }

bool valid_type(std::string_view t) { return t == "MERCHANT_ID" || t == "PERSONAL_OPENID"; }

json::object line_json(const split_line& l, std::int64_t created) {
    json::object o{{"amount", l.amount},       {"description", l.description}, {"type", l.type},
                   {"account", l.account},     {"result", l.result},           {"detail_id", l.detail_id},
                   {"create_time", rfc3339_cst(created)}};
    if (l.finished) o["finish_time"] = rfc3339_cst(l.finished);
    if (!l.fail_reason.empty()) o["fail_reason"] = l.fail_reason;
    return o;
}

json::object split_json(const split_record& s) {
    json::array lines;
    for (const auto& l : s.lines) lines.push_back(line_json(l, s.created));
    return {{"transaction_id", s.transaction_id},
            {"out_order_no", s.out_order_no},
            {"order_id", s.order_id},
            {"state", s.state},
            {"receivers", std::move(lines)}};
}

json::object return_json(const split_return_record& r) {
    return {{"order_id", r.order_id},         {"out_order_no", r.out_order_no},
            {"out_return_no", r.out_return_no}, {"return_id", r.return_id},
            {"return_mchid", r.return_mchid},   {"amount", r.amount},
            {"description", r.description},     {"result", r.result},
            {"create_time", rfc3339_cst(r.created)}, {"finish_time", rfc3339_cst(r.created)}};
}

std::string yuan(std::int64_t fen) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(fen / 100), static_cast<long long>(fen % 100));
    return buf;
}

}  // namespace

std::string profit_sharing_desk::endpoint_of(std::string_view path) {
    if (!serves(path)) return "unknown";
    for (std::string_view n : names)
        if (path == n) return std::string(n);
    if (path == "/v3/profitsharing/orders/unfreeze") return std::string(names[2]);
    if (path_param(path, "/v3/profitsharing/orders/")) return std::string(names[1]);
    if (path_param(path, "/v3/profitsharing/return-orders/")) return std::string(names[4]);
    if (path_param(path, "/v3/profitsharing/transactions/", "/amounts")) return std::string(names[5]);
    return "unknown";
}

bool profit_sharing_desk::is_endpoint_name(std::string_view name) {
    return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

answer profit_sharing_desk::handle(const merchant& m, std::string_view method, std::string_view path,
                                   std::string_view query, const std::string& body, std::string_view serial,
                                   std::int64_t now) {
    const bool post = method == "POST", get = method == "GET";
    auto decoded = [](std::string_view raw) { return percent_decode(raw).value_or(std::string()); };
    if (post && path == "/v3/profitsharing/orders") return create(m, body, serial, now);
    if (post && path == "/v3/profitsharing/orders/unfreeze") return unfreeze(m, body, now);
    if (get)
        if (auto id = path_param(path, "/v3/profitsharing/orders/")) return this->query(m, decoded(*id), query);
    if (post && path == "/v3/profitsharing/return-orders") return create_return(m, body, now);
    if (get)
        if (auto id = path_param(path, "/v3/profitsharing/return-orders/")) return query_return(m, decoded(*id), query);
    if (get)
        if (auto id = path_param(path, "/v3/profitsharing/transactions/", "/amounts")) return amounts(m, decoded(*id));
    if (post && path == "/v3/profitsharing/receivers/add") return receivers(m, true, body, serial);
    if (post && path == "/v3/profitsharing/receivers/delete") return receivers(m, false, body, serial);
    if (get && path == "/v3/profitsharing/bills") return bill(m, query, now);
    return error_answer(404, "NOT_FOUND", "no such API");
}

std::int64_t profit_sharing_desk::unsplit(const order& o) const {
    std::int64_t left = o.total - o.refunded;
    for (const auto& [key, s] : splits_) {
        if (key.first != o.mchid || s.transaction_id != o.transaction_id) continue;
        for (const auto& l : s.lines)
            if (l.result != "CLOSED") left -= l.amount;
    }
    return std::max<std::int64_t>(left, 0);
}

answer profit_sharing_desk::create(const merchant& m, const std::string& body, std::string_view serial, std::int64_t now) {
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    const std::string appid = f.str("/appid", false, 32);
    const std::string txn = f.str("/transaction_id", true, 32);
    const std::string no = f.str("/out_order_no", true, 64);
    const auto* unfreeze_v = f.at("/unfreeze_unsplit");
    if (!unfreeze_v || !unfreeze_v->is_bool()) f.fail("/unfreeze_unsplit", "is required (a boolean)", unfreeze_v);
    const auto* list = f.at("/receivers");
    if (!list || !list->is_array() || list->get_array().empty())
        f.fail("/receivers", "is required (an array of 1 to 50 receivers)", list);
    else if (list->get_array().size() > max_split_receivers)
        f.fail("/receivers", "holds more than 50 receivers");
    if (f.error) return *f.error;
    if (!valid_split_number(no)) return param_error("/out_order_no", "must be 1-64 characters of 0-9 A-Z a-z _ - | * @");
    if (!appid.empty() && std::find(m.appids.begin(), m.appids.end(), appid) == m.appids.end())
        return error_answer(400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match");

    split_record s;
    s.mchid = m.mchid;
    s.transaction_id = txn;
    s.out_order_no = no;
    s.created = now;
    std::int64_t total = 0;
    std::vector<std::string> names_given;
    const auto& items = list->get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string at = "/receivers/" + std::to_string(i);
        if (!items[i].is_object()) return param_error(at, "must be an object");
        fields item(items[i].get_object(), at);
        split_line l;
        l.type = item.str("/type", true, 32);
        l.account = item.str("/account", true, 64);
        names_given.push_back(item.str("/name", false, 1024));
        l.amount = item.integer("/amount", true);
        l.description = item.str("/description", true, 80);
        if (item.error) return *item.error;
        if (!valid_type(l.type)) return param_error(at + "/type", "must be MERCHANT_ID or PERSONAL_OPENID");
        if (l.type == "PERSONAL_OPENID" && appid.empty()) return param_error("/appid", "is required with a PERSONAL_OPENID receiver");
        if (l.amount <= 0) return param_error(at + "/amount", "must be greater than 0");
        total += l.amount;
        s.lines.push_back(std::move(l));
    }
    // Names are checked against the receivers added: the ciphertext is decrypted with the key the
    // request's Wechatpay-Serial names.
    std::vector<std::string> plain(names_given.size());
    for (std::size_t i = 0; i < names_given.size(); ++i) {
        if (names_given[i].empty()) continue;
        const std::string at = "/receivers/" + std::to_string(i) + "/name";
        if (serial.empty()) return param_error("Wechatpay-Serial", "is required with an encrypted field", "header");
        auto key = hooks_.decrypting_key ? hooks_.decrypting_key(serial) : std::nullopt;
        if (!key) return param_error("Wechatpay-Serial", "names no WeChat Pay key", "header");
        auto p = oaep_decrypt(*key, names_given[i]);
        if (!p) return param_error(at, "cannot be decrypted with the key Wechatpay-Serial names");
        plain[i] = std::move(*p);
    }

    std::lock_guard lock(mutex_);
    if (auto it = splits_.find({m.mchid, no}); it != splits_.end()) {
        // 同一分账单号多次请求等同一次: the same number again is the same split.
        if (it->second.transaction_id != txn) return invalid_request("out_order_no was used for another transaction");
        return {200, json::serialize(split_json(it->second))};
    }
    if (splits_.size() >= max_records) return error_answer(500, "SYSTEM_ERROR", "the simulator holds too many splits");
    const auto o = orders_.find_by_transaction(m.mchid, txn);
    if (!o) return not_found("transaction_id: no such paid order");
    if (!o->profit_sharing) return invalid_request("the order was not paid with settle_info.profit_sharing = true");
    if (now < o->paid_at + earliest_split) return invalid_request("a split can start one minute after payment");
    if (now > o->paid_at + latest_split) return invalid_request("the order was paid more than 30 days ago: it can no longer be split");
    for (const auto& [key, other] : splits_)
        if (key.first == m.mchid && other.transaction_id == txn && other.unfreeze)
            return invalid_request("the order's remaining funds were unfrozen: it can no longer be split");
    for (std::size_t i = 0; i < s.lines.size(); ++i) {
        const auto r = receivers_.find({m.mchid, s.lines[i].type, s.lines[i].account});
        const std::string at = "/receivers/" + std::to_string(i);
        if (r == receivers_.end()) return invalid_request("receiver " + at + " was not added (POST /v3/profitsharing/receivers/add)");
        if (!plain[i].empty() && plain[i] != r->second.name)
            return param_error(at + "/name", "does not match the name the receiver was added with");
    }
    const std::int64_t left = unsplit(*o);
    if (total > left) return error_answer(400, "NOT_ENOUGH", "the receivers' total is more than the unsplit amount");
    s.order_id = next_id("3008");
    for (auto& l : s.lines) l.detail_id = next_id("3600");
    if (unfreeze_v->get_bool() && left > total) {
        // 解冻剩余未分资金: the rest goes back to the merchant in the same order.
        s.lines.push_back(unfrozen_line(m, left - total, "解冻给分账方"));
    }
    s.unfreeze = unfreeze_v->get_bool();
    const auto stored = splits_.emplace(std::pair{m.mchid, no}, std::move(s)).first->second;
    schedule(m, no);
    return {200, json::serialize(split_json(stored))};
}

answer profit_sharing_desk::unfreeze(const merchant& m, const std::string& body, std::int64_t now) {
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    const std::string txn = f.str("/transaction_id", true, 32);
    const std::string no = f.str("/out_order_no", true, 64);
    const std::string description = f.str("/description", true, 80);
    if (f.error) return *f.error;
    if (!valid_split_number(no)) return param_error("/out_order_no", "must be 1-64 characters of 0-9 A-Z a-z _ - | * @");
    std::lock_guard lock(mutex_);
    if (auto it = splits_.find({m.mchid, no}); it != splits_.end()) {
        if (it->second.transaction_id != txn || !it->second.unfreeze)
            return invalid_request("out_order_no was used for another request");
        return {200, json::serialize(split_json(it->second))};
    }
    const auto o = orders_.find_by_transaction(m.mchid, txn);
    if (!o) return not_found("transaction_id: no such paid order");
    if (!o->profit_sharing) return invalid_request("the order was not paid with settle_info.profit_sharing = true");
    for (const auto& [key, other] : splits_)
        if (key.first == m.mchid && other.transaction_id == txn && other.unfreeze)
            return invalid_request("the order's remaining funds were unfrozen already");
    const std::int64_t left = unsplit(*o);
    if (left == 0) return invalid_request("nothing is left to unfreeze");
    split_record s;
    s.mchid = m.mchid;
    s.transaction_id = txn;
    s.out_order_no = no;
    s.created = now;
    s.unfreeze = true;
    s.order_id = next_id("3008");
    s.lines.push_back(unfrozen_line(m, left, description));
    const auto stored = splits_.emplace(std::pair{m.mchid, no}, std::move(s)).first->second;
    schedule(m, no);
    return {200, json::serialize(split_json(stored))};
}

answer profit_sharing_desk::query(const merchant& m, const std::string& out_order_no, std::string_view q) {
    const std::string txn = query_param(q, "transaction_id");
    if (txn.empty()) return param_error("transaction_id", "is required", "query");
    std::lock_guard lock(mutex_);
    const auto it = splits_.find({m.mchid, out_order_no});
    if (it == splits_.end() || it->second.transaction_id != txn) return not_found("no such split order");
    return {200, json::serialize(split_json(it->second))};
}

answer profit_sharing_desk::amounts(const merchant& m, const std::string& transaction_id) {
    std::lock_guard lock(mutex_);
    const auto o = orders_.find_by_transaction(m.mchid, transaction_id);
    if (!o) return not_found("transaction_id: no such paid order");
    // 查询剩余待分金额: "非分账订单不支持此查询".
    if (!o->profit_sharing) return invalid_request("not a profit-sharing order");
    bool unfrozen = false;
    for (const auto& [key, s] : splits_)
        if (key.first == m.mchid && s.transaction_id == transaction_id && s.unfreeze) unfrozen = true;
    return {200, json::serialize(json::object{{"transaction_id", transaction_id},
                                              {"unsplit_amount", unfrozen ? 0 : unsplit(*o)}})};
}

answer profit_sharing_desk::create_return(const merchant& m, const std::string& body, std::int64_t now) {
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    split_return_record r;
    r.mchid = m.mchid;
    r.order_id = f.str("/order_id", false, 64);
    r.out_order_no = f.str("/out_order_no", false, 64);
    r.out_return_no = f.str("/out_return_no", true, 64);
    r.return_mchid = f.str("/return_mchid", true, 32);
    r.amount = f.integer("/amount", true);
    r.description = f.str("/description", true, 80);
    if (f.error) return *f.error;
    if (r.order_id.empty() && r.out_order_no.empty()) return param_error("/out_order_no", "or /body/order_id is required");
    if (!valid_split_number(r.out_return_no)) return param_error("/out_return_no", "must be 1-64 characters of 0-9 A-Z a-z _ - | * @");
    if (r.amount <= 0) return param_error("/amount", "must be greater than 0");
    std::lock_guard lock(mutex_);
    if (auto it = returns_.find({m.mchid, r.out_return_no}); it != returns_.end())
        return {200, json::serialize(return_json(it->second))};
    if (returns_.size() >= max_records) return error_answer(500, "SYSTEM_ERROR", "the simulator holds too many returns");
    const split_record* s = nullptr;
    for (const auto& [key, rec] : splits_)
        if (key.first == m.mchid && !rec.unfreeze && (rec.out_order_no == r.out_order_no || rec.order_id == r.order_id)) s = &rec;
    if (!s) return not_found("no such split order");
    // Only what a merchant receiver got, less what it returned already; at most 20 returns a
    // receiver, within 180 days (请求分账回退, wiki/doc/apiv3/apis/chapter8_1_3.shtml).
    std::int64_t got = 0, returns = 0;
    for (const auto& l : s->lines)
        if (l.type == "MERCHANT_ID" && l.account == r.return_mchid && l.result == "SUCCESS") got += l.amount;
    for (const auto& [key, other] : returns_)
        if (key.first == m.mchid && other.order_id == s->order_id && other.return_mchid == r.return_mchid) {
            got -= other.amount;
            ++returns;
        }
    if (returns >= 20) return invalid_request("at most 20 returns from one receiver of a split");
    if (now > s->created + 180 * day_s) return invalid_request("a split can be returned within 180 days");
    if (got <= 0) return invalid_request("return_mchid received nothing of this split that it has not returned");
    if (r.amount > got) return error_answer(400, "NOT_ENOUGH", "amount is more than return_mchid received and kept");
    r.order_id = s->order_id;
    r.out_order_no = s->out_order_no;
    r.return_id = next_id("3008");
    r.created = now;
    const auto stored = returns_.emplace(std::pair{m.mchid, r.out_return_no}, r).first->second;
    if (hooks_.notify) {
        const split_line line{"MERCHANT_ID", stored.return_mchid, stored.description, stored.amount, "SUCCESS", {}, {}, now};
        json::object event{{"mchid", m.mchid},           {"transaction_id", s->transaction_id},
                           {"order_id", stored.order_id}, {"out_order_no", stored.out_order_no},
                           {"out_return_no", stored.out_return_no}, {"return_id", stored.return_id},
                           {"receiver", json::object{{"type", line.type}, {"account", line.account},
                                                     {"amount", line.amount}, {"description", line.description}}},
                           {"success_time", rfc3339_cst(now)}};
        hooks_.notify(m, "PROFITSHARING.RETURN", "分账回退", json::serialize(event));
    }
    return {200, json::serialize(return_json(stored))};
}

answer profit_sharing_desk::query_return(const merchant& m, const std::string& out_return_no, std::string_view q) {
    const std::string no = query_param(q, "out_order_no");
    if (no.empty()) return param_error("out_order_no", "is required", "query");
    std::lock_guard lock(mutex_);
    const auto it = returns_.find({m.mchid, out_return_no});
    if (it == returns_.end() || it->second.out_order_no != no) return not_found("no such return order");
    return {200, json::serialize(return_json(it->second))};
}

answer profit_sharing_desk::receivers(const merchant& m, bool add, const std::string& body, std::string_view serial) {
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    receiver r;
    const std::string appid = f.str("/appid", true, 32);
    r.type = f.str("/type", true, 32);
    r.account = f.str("/account", true, 64);
    const std::string name = add ? f.str("/name", false, 1024) : std::string();
    if (add) {
        r.relation_type = f.str("/relation_type", true, 32);
        r.custom_relation = f.str("/custom_relation", r.relation_type == "CUSTOM", 10);
    }
    if (f.error) return *f.error;
    if (std::find(m.appids.begin(), m.appids.end(), appid) == m.appids.end())
        return error_answer(400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match");
    if (!valid_type(r.type)) return param_error("/type", "must be MERCHANT_ID or PERSONAL_OPENID");
    if (add && r.type == "MERCHANT_ID" && name.empty()) return param_error("/name", "is required for a MERCHANT_ID receiver");
    if (!name.empty()) {
        if (serial.empty()) return param_error("Wechatpay-Serial", "is required with an encrypted field", "header");
        auto key = hooks_.decrypting_key ? hooks_.decrypting_key(serial) : std::nullopt;
        if (!key) return param_error("Wechatpay-Serial", "names no WeChat Pay key", "header");
        auto p = oaep_decrypt(*key, name);
        if (!p) return param_error("/name", "cannot be decrypted with the key Wechatpay-Serial names");
        r.name = std::move(*p);
    }
    std::lock_guard lock(mutex_);
    if (add) {
        if (receivers_.size() >= 20000) return invalid_request("at most 20000 receivers");  // 接收方数量上限为2万
        receivers_[{m.mchid, r.type, r.account}] = r;
        json::object a{{"type", r.type}, {"account", r.account}, {"relation_type", r.relation_type}};
        if (!r.custom_relation.empty()) a["custom_relation"] = r.custom_relation;
        return {200, json::serialize(a)};
    }
    receivers_.erase({m.mchid, r.type, r.account});
    return {200, json::serialize(json::object{{"type", r.type}, {"account", r.account}})};
}

answer profit_sharing_desk::bill(const merchant& m, std::string_view q, std::int64_t now) {
    const std::string date = query_param(q, "bill_date");
    const std::string tar = query_param(q, "tar_type");
    if (!wechatpay::detail::is_calendar_date(date))
        return param_error("bill_date", "must be YYYY-MM-DD", "query");
    if (!tar.empty() && tar != "GZIP") return param_error("tar_type", "must be GZIP", "query");
    // Detail rows (each value behind a `, as WeChat writes them), then the summary.
    std::string csv = "分账时间,分账发起方,分账方,分账接收方,微信订单号,微信分账单号,商户分账单号,分账明细单号,分账金额(元),分账描述,分账状态\r\n";
    std::int64_t rows = 0, sum = 0;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, s] : splits_) {
            if (key.first != m.mchid || rfc3339_cst(s.created).substr(0, 10) != date) continue;
            for (const auto& l : s.lines) {
                if (l.result != "SUCCESS") continue;  // 微信侧未成功的分账单不会出现在对账单中
                csv += "`" + rfc3339_cst(s.created) + ",`" + m.mchid + ",`" + m.mchid + ",`" + l.account + ",`" +
                       s.transaction_id + ",`" + s.order_id + ",`" + s.out_order_no + ",`" + l.detail_id + ",`" +
                       yuan(l.amount) + ",`" + l.description + ",`" + l.result + "\r\n";
                ++rows;
                sum += l.amount;
            }
        }
    }
    if (rows == 0) return error_answer(400, "NO_STATEMENT_EXIST", "no split happened on bill_date");
    csv += "总条数,总金额(元)\r\n`" + std::to_string(rows) + ",`" + yuan(sum) + "\r\n";
    (void)now;
    if (!hooks_.bill) return error_answer(500, "SYSTEM_ERROR", "bills are not served");
    return hooks_.bill(m, csv, tar == "GZIP", date);
}

std::string profit_sharing_desk::next_id(std::string_view kind) {
    return std::string(kind) + std::to_string(100000000000000ULL + ++sequence_);
}

split_line profit_sharing_desk::unfrozen_line(const merchant& m, std::int64_t amount, std::string description) {
    split_line rest;
    rest.type = "MERCHANT_ID";
    rest.account = m.mchid;
    rest.amount = amount;
    rest.description = std::move(description);
    rest.detail_id = next_id("3600");
    return rest;
}

void profit_sharing_desk::schedule(const merchant& m, const std::string& out_order_no) {
    if (!hooks_.later) return;
    const auto scaled = std::chrono::milliseconds(static_cast<std::int64_t>(2000 * cfg_.notify_time_scale));
    const merchant* who = &m;  // merchants live as long as the config
    hooks_.later(std::max(scaled, std::chrono::milliseconds(1)), [this, who, out_order_no] { finish(*who, out_order_no); });
}

void profit_sharing_desk::finish(const merchant& m, const std::string& out_order_no) {
    std::vector<std::string> events;
    {
        std::lock_guard lock(mutex_);
        auto it = splits_.find({m.mchid, out_order_no});
        if (it == splits_.end() || it->second.state != "PROCESSING") return;
        split_record& s = it->second;
        const std::int64_t done = s.created + 1;
        for (auto& l : s.lines) {
            l.finished = done;
            // A receiver deleted between the request and its processing: 分账关系已解除.
            const bool self = l.type == "MERCHANT_ID" && l.account == m.mchid;
            if (!self && !receivers_.contains({m.mchid, l.type, l.account})) {
                l.result = "CLOSED";
                l.fail_reason = "NO_RELATION";
                continue;
            }
            l.result = "SUCCESS";
            if (self) continue;  // unfrozen back to the merchant: no 动账 of a receiver
            events.push_back(json::serialize(json::object{
                {"mchid", m.mchid}, {"transaction_id", s.transaction_id}, {"order_id", s.order_id},
                {"out_order_no", s.out_order_no},
                {"receiver", json::object{{"type", l.type}, {"account", l.account}, {"amount", l.amount},
                                          {"description", l.description}}},
                {"success_time", rfc3339_cst(done)}}));
        }
        s.state = "FINISHED";
    }
    if (hooks_.notify)
        for (auto& e : events) hooks_.notify(m, "PROFITSHARING.SUCCESS", "分账", std::move(e));
}

}  // namespace wechatpay::sim
