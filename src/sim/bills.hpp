// Bills in WeChat's CSV layout: a UTF-8 BOM, a header row, back-tick-prefixed cells, and a
// summary header + row at the end. Amounts in yuan with two decimals; times in CST.
#pragma once

#include "sim/store.hpp"

#include <string>
#include <vector>

namespace wechatpay::sim {

struct bill_csv {
    std::string text;
    std::int64_t rows = 0;  // records, not counting headers and summary: WeChat has no bill without any
};

// kind: ALL | SUCCESS | REFUND. Rows: payments and refunds that completed on `date` (YYYY-MM-DD).
bill_csv trade_bill_csv(const std::vector<order>& orders, const std::vector<refund_record>& refunds,
                           const std::string& date, const std::string& kind);
// kind: BASIC | OPERATION | FEES. BASIC lists income (payments) and expense (refunds).
bill_csv fundflow_bill_csv(const std::vector<order>& orders, const std::vector<refund_record>& refunds,
                              const std::string& date, const std::string& kind);
}  // namespace wechatpay::sim
