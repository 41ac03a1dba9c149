#include <wechatpay/rate_limiter.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>

#include <algorithm>
#include <cmath>

namespace wechatpay {

namespace {

constexpr std::string_view pay_prefixes[] = {"/v3/pay/transactions/", "/v3/pay/partner/transactions/",
                                             "/v3/combine-transactions/"};
constexpr std::string_view prepay_kinds[] = {"jsapi", "app", "native", "h5"};
constexpr std::string_view transfer_bills = "/v3/fund-app/mch-transfer/transfer-bills";

bool is_prepay(std::string_view rest) {
    return std::find(std::begin(prepay_kinds), std::end(prepay_kinds), rest) != std::end(prepay_kinds);
}

// "id/X" or "out-trade-no/X" with nothing after X (…/close is a POST anyway).
bool is_order(std::string_view rest) {
    for (std::string_view by : {"id/", "out-trade-no/"})
        if (rest.starts_with(by) && rest.size() > by.size() && rest.find('/', by.size()) == std::string_view::npos)
            return true;
    return false;
}

}  // namespace

const char* to_string(endpoint_class c) noexcept {
    switch (c) {
        case endpoint_class::other: return "other";
        case endpoint_class::prepay: return "prepay";
        case endpoint_class::payment_query: return "payment_query";
        case endpoint_class::refund: return "refund";
        case endpoint_class::transfer_create: return "transfer_create";
        case endpoint_class::transfer_query: return "transfer_query";
        case endpoint_class::profit_sharing: return "profit_sharing";
        case endpoint_class::certificates: return "certificates";
    }
    return "other";
}

endpoint_class classify_request(std::string_view method, std::string_view target) noexcept {
    const std::string_view path = target.substr(0, target.find('?'));
    const bool get = method == "GET", post = method == "POST";
    for (std::string_view prefix : pay_prefixes) {
        if (!path.starts_with(prefix)) continue;
        const auto rest = path.substr(prefix.size());
        if (post && is_prepay(rest)) return endpoint_class::prepay;
        if (get && is_order(rest)) return endpoint_class::payment_query;
        return endpoint_class::other;
    }
    if (path.starts_with("/v3/refund/domestic/refunds")) return endpoint_class::refund;
    if (path == transfer_bills) return post ? endpoint_class::transfer_create : endpoint_class::other;
    if (get && path.starts_with(transfer_bills) && path[transfer_bills.size()] == '/') {
        const auto rest = path.substr(transfer_bills.size() + 1);
        for (std::string_view by : {"out-bill-no/", "transfer-bill-no/"})
            if (rest.starts_with(by) && rest.size() > by.size() && rest.find('/', by.size()) == std::string_view::npos)
                return endpoint_class::transfer_query;
    }
    if (path.starts_with("/v3/profitsharing/")) return endpoint_class::profit_sharing;
    if (get && path == "/v3/certificates") return endpoint_class::certificates;
    return endpoint_class::other;
}

rate rate::under(double limit_per_second) noexcept {
    return rate{limit_per_second * 0.7, std::max(1.0, std::floor(limit_per_second / 10))};
}

rate_table documented_rates() noexcept {
    rate_table t{};
    // "单个商户 100 QPS" (transfer-bill queries, get-transfer-bill-by-out-no.html) and "单个商户的接口
    // 频率限制为100次/s" (creating one, transfer-to-user.html).
    t[static_cast<std::size_t>(endpoint_class::transfer_query)] = rate::under(100);
    t[static_cast<std::size_t>(endpoint_class::transfer_create)] = rate::under(100);
    // "单个交易收款商户(请求分账) 30QPS" (profit-sharing requests).
    t[static_cast<std::size_t>(endpoint_class::profit_sharing)] = rate::under(30);
    return t;
}

memory_rate_limiter::memory_rate_limiter(rate_table rates, clock_function clock)
    : rates_(rates), clock_(std::move(clock)) {}

void rate_limiter::complete(handler_type handler, result<wait> r) {
    const auto ex = boost::asio::get_associated_executor(handler);
    boost::asio::dispatch(ex, [h = std::move(handler), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
}

// A token bucket: full at first, refilled continuously, one token a request. A token not there
// yet can be reserved: the count goes below zero, and the next ask's wait grows by 1/rate.
rate_limiter::wait memory_rate_limiter::take(endpoint_class c, wait patience) {
    const auto i = static_cast<std::size_t>(c);
    if (i >= endpoint_class_count || !rates_[i].limited()) return wait(0);
    const rate r = rates_[i];
    const double burst = std::max(1.0, r.burst);
    const auto now = clock_ ? clock_() : std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    bucket& b = buckets_[i];
    if (!b.started) b = bucket{burst, now, true};
    if (now > b.at) {
        b.tokens = std::min(burst, b.tokens + std::chrono::duration<double>(now - b.at).count() * r.per_second);
        b.at = now;
    }
    if (b.tokens >= 1) {
        b.tokens -= 1;
        return wait(0);
    }
    // Rounded up, never zero: a zero wait means admitted now.
    // At most a day: a tiny rate must not overflow the cast.
    const double ms = std::min(static_cast<double>(longest_wait.count()), std::ceil((1 - b.tokens) * 1000 / r.per_second));
    const wait w(std::max<std::int64_t>(1, static_cast<std::int64_t>(ms)));
    if (w <= usable_patience(patience)) b.tokens -= 1;
    return w;
}

void memory_rate_limiter::try_acquire(endpoint_class c, wait patience, handler_type handler) {
    complete(std::move(handler), take(c, patience));
}

}  // namespace wechatpay
