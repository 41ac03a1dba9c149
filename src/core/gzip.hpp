// gzip for bills: the simulator compresses them (tar_type=GZIP), the client inflates them.
#pragma once

#include <wechatpay/error.hpp>

#include <string>
#include <string_view>

namespace wechatpay::detail {

std::string gzip(std::string_view data);
// errc::malformed_gzip when the data is not one complete gzip stream, or inflates past max_size.
result<std::string> gunzip(std::string_view data, std::size_t max_size);

}  // namespace wechatpay::detail
