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

// A day of `records` synthetic payments as a trade bill (ALL or SUCCESS), produced piece by
// piece: each row is computed from its index, so a bill of millions of rows never exists whole.
// The same arguments give the same bytes (its hash is taken in one pass, served in another).
class synthetic_trade_bill {
public:
    synthetic_trade_bill(std::string mchid, std::string appid, std::string date, std::int64_t records);
    // The next piece (the header first, then about 64 KiB of rows, the summary last); empty
    // once the bill is complete.
    std::string next();

private:
    std::string mchid_, appid_, date_;
    std::int64_t records_, done_ = 0;
    std::int64_t settled_ = 0, fees_ = 0;
    bool started_ = false, finished_ = false;
};

}  // namespace wechatpay::sim
