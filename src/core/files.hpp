// Reading the small files a merchant configures (keys, certificates) with errors that name them.
#pragma once

#include <wechatpay/error.hpp>

#include <filesystem>
#include <string>

namespace wechatpay {

// The whole file; file_unreadable naming the path (never the content) when it cannot be read.
result<std::string> read_file(const std::filesystem::path& path);

}  // namespace wechatpay
